//! Databases and topics to run the product against, created in moto the way a user's
//! account would have them.

use aws_sdk_rds::types::Parameter;
use aws_sdk_rds::Client;

use crate::moto::Moto;

/// A seeded Aurora MySQL 3 cluster with a writer and `readers` readers; returns the instance ids.
pub async fn aurora_mysql(moto: &Moto, id: &str, readers: usize) -> Vec<String> {
    aurora_mysql_with(&moto.rds(), id, readers).await
}

/// The same cluster (binary logging on, as Blue/Green needs) created through `rds`, a client
/// of another Region.
pub async fn aurora_mysql_with(rds: &Client, id: &str, readers: usize) -> Vec<String> {
    let group = format!("{id}-cpg");
    cluster_parameter_group_with(rds, &group, "aurora-mysql8.0", &[("binlog_format", "ROW")]).await;
    rds.create_db_cluster()
        .db_cluster_identifier(id)
        .tags(bluegreen::aws::enrolment::tag())
        .engine("aurora-mysql")
        .engine_version("8.0.mysql_aurora.3.05.2")
        .master_username("admin")
        .master_user_password("password123")
        .backup_retention_period(7)
        .db_cluster_parameter_group_name(&group)
        .send()
        .await
        .expect("create cluster");
    cluster_instances_with(rds, id, "aurora-mysql", readers).await
}

/// A seeded Aurora PostgreSQL cluster with logical replication on.
pub async fn aurora_postgres(moto: &Moto, id: &str, readers: usize) -> Vec<String> {
    let rds = moto.rds();
    let group = format!("{id}-cpg");
    cluster_parameter_group(
        moto,
        &group,
        "aurora-postgresql15",
        &[("rds.logical_replication", "1")],
    )
    .await;
    rds.create_db_cluster()
        .db_cluster_identifier(id)
        .tags(bluegreen::aws::enrolment::tag())
        .engine("aurora-postgresql")
        .engine_version("15.6")
        .master_username("postgres")
        .master_user_password("password123")
        .backup_retention_period(7)
        .db_cluster_parameter_group_name(&group)
        .send()
        .await
        .expect("create cluster");
    cluster_instances(moto, id, "aurora-postgresql", readers).await
}

/// `readers + 1` instances `<cluster>-0`, `<cluster>-1`... of the cluster.
pub async fn cluster_instances(
    moto: &Moto,
    cluster: &str,
    engine: &str,
    readers: usize,
) -> Vec<String> {
    cluster_instances_with(&moto.rds(), cluster, engine, readers).await
}

async fn cluster_instances_with(
    rds: &Client,
    cluster: &str,
    engine: &str,
    readers: usize,
) -> Vec<String> {
    let mut ids = Vec::new();
    for n in 0..=readers {
        let instance = format!("{cluster}-{n}");
        rds.create_db_instance()
            .db_instance_identifier(&instance)
            .tags(bluegreen::aws::enrolment::tag())
            .db_cluster_identifier(cluster)
            .engine(engine)
            .db_instance_class("db.r6g.large")
            .send()
            .await
            .expect("create cluster instance");
        ids.push(instance);
    }
    ids
}

/// A seeded RDS instance (`mysql`, `postgres` or `mariadb`) with backups on and a custom
/// parameter group that has the replication settings Blue/Green needs.
pub async fn rds_instance(moto: &Moto, id: &str, engine: &str, version: &str) -> String {
    rds_instance_with(&moto.rds(), id, engine, version, 7).await
}

/// The same instance through `rds` (another account or Region), with `backup_days` of
/// automated backups (0 turns them off, which Blue/Green refuses).
pub async fn rds_instance_with(
    rds: &Client,
    id: &str,
    engine: &str,
    version: &str,
    backup_days: i32,
) -> String {
    let (family, params): (String, &[(&str, &str)]) = match engine {
        "postgres" => (
            format!("postgres{}", version.split('.').next().unwrap_or("16")),
            &[("rds.logical_replication", "1")],
        ),
        "mariadb" => ("mariadb10.11".to_owned(), &[("binlog_format", "ROW")]),
        _ => ("mysql8.0".to_owned(), &[("binlog_format", "ROW")]),
    };
    let group = format!("{id}-pg");
    parameter_group_with(rds, &group, &family, params).await;
    rds.create_db_instance()
        .db_instance_identifier(id)
        .tags(bluegreen::aws::enrolment::tag())
        .engine(engine)
        .engine_version(version)
        .db_instance_class("db.m6g.large")
        .allocated_storage(100)
        .master_username("admin")
        .master_user_password("password123")
        .backup_retention_period(backup_days)
        .db_parameter_group_name(&group)
        .send()
        .await
        .expect("create instance");
    id.to_owned()
}

/// A DB cluster parameter group with the given parameters.
pub async fn cluster_parameter_group(
    moto: &Moto,
    name: &str,
    family: &str,
    params: &[(&str, &str)],
) {
    cluster_parameter_group_with(&moto.rds(), name, family, params).await
}

/// The same group through `rds` (another Region).
pub async fn cluster_parameter_group_with(
    rds: &Client,
    name: &str,
    family: &str,
    params: &[(&str, &str)],
) {
    rds.create_db_cluster_parameter_group()
        .db_cluster_parameter_group_name(name)
        .db_parameter_group_family(family)
        .description("test")
        .send()
        .await
        .expect("create cluster parameter group");
    if !params.is_empty() {
        rds.modify_db_cluster_parameter_group()
            .db_cluster_parameter_group_name(name)
            .set_parameters(Some(parameters(params)))
            .send()
            .await
            .expect("modify cluster parameter group");
    }
}

/// A DB parameter group with the given parameters.
pub async fn parameter_group(moto: &Moto, name: &str, family: &str, params: &[(&str, &str)]) {
    parameter_group_with(&moto.rds(), name, family, params).await
}

/// The same through `rds` (another account or Region).
pub async fn parameter_group_with(rds: &Client, name: &str, family: &str, params: &[(&str, &str)]) {
    rds.create_db_parameter_group()
        .db_parameter_group_name(name)
        .db_parameter_group_family(family)
        .description("test")
        .send()
        .await
        .expect("create parameter group");
    if !params.is_empty() {
        rds.modify_db_parameter_group()
            .db_parameter_group_name(name)
            .set_parameters(Some(parameters(params)))
            .send()
            .await
            .expect("modify parameter group");
    }
}

fn parameters(params: &[(&str, &str)]) -> Vec<Parameter> {
    params
        .iter()
        .map(|(k, v)| {
            Parameter::builder()
                .parameter_name(*k)
                .parameter_value(*v)
                .apply_method(aws_sdk_rds::types::ApplyMethod::PendingReboot)
                .build()
        })
        .collect()
}

/// An SNS topic with an SQS queue subscribed (raw delivery), so tests can read what was
/// published. Returns (topic ARN, queue URL).
pub async fn topic_with_queue(moto: &Moto, name: &str) -> (String, String) {
    let config = moto.sdk_config(crate::moto::REGION);
    let sns = aws_sdk_sns::Client::new(&config);
    let sqs = aws_sdk_sqs::Client::new(&config);
    let topic = sns
        .create_topic()
        .name(name)
        .send()
        .await
        .expect("create topic")
        .topic_arn
        .expect("topic arn");
    let queue_url = sqs
        .create_queue()
        .queue_name(name)
        .send()
        .await
        .expect("create queue")
        .queue_url
        .expect("queue url");
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("queue attributes")
        .attributes
        .and_then(|mut a| a.remove(&aws_sdk_sqs::types::QueueAttributeName::QueueArn))
        .expect("queue arn");
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(queue_arn)
        .attributes("RawMessageDelivery", "true")
        .send()
        .await
        .expect("subscribe");
    (topic, queue_url)
}

/// A message that reached an SQS queue: its body and its SNS message attributes.
#[derive(Debug, Clone)]
pub struct Received {
    pub body: String,
    pub attributes: std::collections::BTreeMap<String, String>,
}

/// Reads every message now in the queue (and deletes them).
pub async fn drain_queue(moto: &Moto, queue_url: &str) -> Vec<Received> {
    let sqs = aws_sdk_sqs::Client::new(&moto.sdk_config(crate::moto::REGION));
    let mut all = Vec::new();
    loop {
        let out = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .message_attribute_names("All")
            .send()
            .await
            .expect("receive");
        let messages = out.messages.unwrap_or_default();
        if messages.is_empty() {
            return all;
        }
        for m in messages {
            let attributes = m
                .message_attributes
                .clone()
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k, v.string_value.unwrap_or_default()))
                .collect();
            all.push(Received {
                body: m.body.clone().unwrap_or_default(),
                attributes,
            });
            if let Some(handle) = m.receipt_handle {
                sqs.delete_message()
                    .queue_url(queue_url)
                    .receipt_handle(handle)
                    .send()
                    .await
                    .expect("delete message");
            }
        }
    }
}

/// The lock table of the state machine (the template's `LockTable`: key `lockKey`).
pub async fn lock_table(moto: &Moto) {
    lock_table_named(moto, crate::stepfunctions::LOCK_TABLE).await;
}

/// The template's `LockTable` indexes: (name, hash key, projection). A contract test
/// (`lock_table_contract`) holds them equal to template.yaml's.
pub const LOCK_INDEXES: [(&str, &str, &str); 2] = [
    // The release machine finds an execution's locks.
    ("byHolder", "holder", "ALL"),
    // The wake machine finds the lock an RDS event concerns (statemachine/wake.asl.json).
    ("byWakeKey", "wakeKey", "KEYS_ONLY"),
];

/// A lock table like the template's under another name (a test's own); an existing one is kept.
pub async fn lock_table_named(moto: &Moto, name: &str) {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
        Projection, ProjectionType, ScalarAttributeType,
    };
    let key = |name: &str| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(KeyType::Hash)
            .build()
            .unwrap()
    };
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .unwrap()
    };
    let mut create = moto
        .dynamodb()
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute("lockKey"))
        .key_schema(key("lockKey"));
    for (index, hash, projection) in LOCK_INDEXES {
        create = create
            .attribute_definitions(attribute(hash))
            .global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(index)
                    .key_schema(key(hash))
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::from(projection))
                            .build(),
                    )
                    .build()
                    .unwrap(),
            );
    }
    if let Err(e) = create.send().await {
        let exists = e
            .as_service_error()
            .is_some_and(|s| s.is_resource_in_use_exception());
        assert!(exists, "create the lock table: {e:?}");
    }
}

/// The lock item of a database (key `<account>/<region>/<identifier>`), read consistently.
pub async fn read_lock_item(
    moto: &Moto,
    key: &str,
) -> Option<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
    moto.dynamodb()
        .get_item()
        .table_name(crate::stepfunctions::LOCK_TABLE)
        .key(
            "lockKey",
            aws_sdk_dynamodb::types::AttributeValue::S(key.to_owned()),
        )
        .consistent_read(true)
        .send()
        .await
        .expect("read the lock")
        .item
}

/// The execution holding the lock of a database (key `<account>/<region>/<identifier>`), if any.
pub async fn lock_holder(moto: &Moto, key: &str) -> Option<String> {
    lock_text(moto, key, "holder").await
}

/// A string attribute of a database's lock item, if the item and the attribute exist.
pub async fn lock_text(moto: &Moto, key: &str, attribute: &str) -> Option<String> {
    read_lock_item(moto, key)
        .await
        .and_then(|i| i.get(attribute).and_then(|v| v.as_s().ok()).cloned())
}

/// A lock item as the state machine keeps it at every stage (docs/metrics.md, the board):
/// `key` (`<account>/<region>/<identifier>`) held by an upgrade started `age` ago, at `stage`
/// for the last ten minutes, expiring in 30 days.
pub async fn lock_item(moto: &Moto, table: &str, key: &str, stage: &str, age: std::time::Duration) {
    use aws_sdk_dynamodb::types::AttributeValue;
    use bluegreen::notify::format::rfc3339;
    let now = std::time::SystemTime::now();
    let name = key.rsplit('/').next().unwrap_or(key).to_owned();
    let expires = now
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
        + 30 * 86_400;
    let s = AttributeValue::S;
    let item = std::collections::HashMap::from([
        ("lockKey".to_owned(), s(key.to_owned())),
        (
            "holder".to_owned(),
            s(format!(
                "arn:aws:states:{}:{}:execution:bg:{name}-run",
                crate::moto::REGION,
                crate::moto::ACCOUNT
            )),
        ),
        ("executionName".to_owned(), s(format!("{name}-run"))),
        ("action".to_owned(), s("upgrade".into())),
        ("startedAt".to_owned(), s(rfc3339(now - age))),
        ("stage".to_owned(), s(stage.to_owned())),
        (
            "stageSince".to_owned(),
            s(rfc3339(now - std::time::Duration::from_secs(600))),
        ),
        ("deploymentId".to_owned(), s(format!("bgd-{name}"))),
        (
            "expiresAt".to_owned(),
            AttributeValue::N(expires.to_string()),
        ),
    ]);
    moto.dynamodb()
        .put_item()
        .table_name(table)
        .set_item(Some(item))
        .send()
        .await
        .expect("put a lock item");
}
