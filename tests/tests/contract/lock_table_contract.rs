//! The lock table as template.yaml deploys it, the test stack's copy of it
//! (`e2e::seed::lock_table`), and the wake machine's lookup (statemachine/wake.asl.json): every
//! index the wake machine queries exists in the template with the key it queries, the test
//! stack's table has exactly the template's indexes, and the wake machine may Query those
//! indexes and nothing wider.

use std::collections::BTreeSet;

use e2e::moto::root;
use e2e::seed::LOCK_INDEXES;
use serde_norway::Value as Yaml;

fn template() -> Yaml {
    let text = std::fs::read_to_string(root().join("template.yaml")).expect("template.yaml");
    serde_norway::from_str(&text).expect("template.yaml parses as YAML")
}

/// (index name, hash key, projection type) of the template's `LockTable`.
fn template_indexes(template: &Yaml) -> BTreeSet<(String, String, String)> {
    let table = &template["Resources"]["LockTable"]["Properties"];
    table["GlobalSecondaryIndexes"]
        .as_sequence()
        .expect("LockTable's GlobalSecondaryIndexes")
        .iter()
        .map(|index| {
            let keys = index["KeySchema"].as_sequence().expect("KeySchema");
            assert_eq!(keys.len(), 1, "one hash key per index: {index:?}");
            assert_eq!(keys[0]["KeyType"].as_str(), Some("HASH"));
            (
                index["IndexName"].as_str().unwrap().to_owned(),
                keys[0]["AttributeName"].as_str().unwrap().to_owned(),
                index["Projection"]["ProjectionType"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            )
        })
        .collect()
}

#[test]
fn the_test_stacks_lock_table_has_the_templates_indexes() {
    let template = template();
    let ours: BTreeSet<(String, String, String)> = LOCK_INDEXES
        .iter()
        .map(|(i, k, p)| ((*i).to_owned(), (*k).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(template_indexes(&template), ours);
    // Every index key is declared, as a string, and nothing else is.
    let declared: BTreeSet<(String, String)> = template["Resources"]["LockTable"]["Properties"]
        ["AttributeDefinitions"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["AttributeName"].as_str().unwrap().to_owned(),
                a["AttributeType"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let keys: BTreeSet<(String, String)> = std::iter::once("lockKey")
        .chain(LOCK_INDEXES.iter().map(|(_, k, _)| *k))
        .map(|k| (k.to_owned(), "S".to_owned()))
        .collect();
    assert_eq!(declared, keys);
}

#[test]
fn the_wake_machine_queries_the_templates_indexes_with_their_keys_and_may_query_only_them() {
    let wake = std::fs::read_to_string(root().join("statemachine/wake.asl.json")).unwrap();
    let definition: serde_json::Value = serde_json::from_str(&wake).unwrap();
    let find = &definition["States"]["Find the waits"];
    // A Query: a Scan reads one page (1 MB) of the table and misses the locks past it.
    assert_eq!(find["Resource"], "arn:aws:states:::aws-sdk:dynamodb:query");
    assert!(
        !wake.contains("dynamodb:scan"),
        "no Scan left in the wake machine"
    );
    let arguments = find["Arguments"].as_str().unwrap();
    let template = template();
    let indexes = template_indexes(&template);
    // One index: a stack update adds one global secondary index at a time (UpdateTable).
    assert_eq!(
        indexes.iter().filter(|(i, _, _)| i != "byHolder").count(),
        1,
        "{indexes:?}"
    );
    let (index, key) = ("byWakeKey", "wakeKey");
    assert!(
        indexes.iter().any(|(i, k, _)| i == index && k == key),
        "{index} on {key} in template.yaml: {indexes:?}"
    );
    assert!(arguments.contains(&format!("'{index}'")), "{arguments}");
    assert!(arguments.contains(&format!("'{key} = :k'")), "{arguments}");
    // The waiting step writes the key the resource events are found by.
    let store =
        std::fs::read_to_string(root().join("shared/src/waits/store.rs")).expect("store.rs");
    assert!(store.contains("wakeKey = :resource"));
    // ...and the stages the key the Blue/Green events are found by (unless a wait names one).
    let stages =
        std::fs::read_to_string(root().join("shared/src/lock/table.rs")).expect("table.rs");
    assert!(stages.contains("wakeKey = if_not_exists(waitResource, :deployment)"));
    // IAM: Query on the index only; UpdateItem on the table for the hint; no Scan.
    let statements = template["Resources"]["WakeStateMachine"]["Properties"]["Policies"][0]
        ["Statement"]
        .as_sequence()
        .unwrap()
        .clone();
    let actions = |s: &Yaml| -> Vec<String> {
        match &s["Action"] {
            Yaml::String(a) => vec![a.clone()],
            Yaml::Sequence(list) => list
                .iter()
                .map(|a| a.as_str().unwrap().to_owned())
                .collect(),
            other => panic!("Action {other:?}"),
        }
    };
    let query: Vec<&Yaml> = statements
        .iter()
        .filter(|s| actions(s).iter().any(|a| a.starts_with("dynamodb:Query")))
        .collect();
    assert_eq!(query.len(), 1, "one statement allows Query");
    assert_eq!(actions(query[0]), ["dynamodb:Query"]);
    let resources = format!("{:?}", query[0]["Resource"]);
    assert!(
        resources.contains(&format!("${{LockTable.Arn}}/index/{index}")),
        "{resources}"
    );
    assert_eq!(
        resources.matches("/index/").count(),
        1,
        "only those indexes: {resources}"
    );
    assert!(
        statements
            .iter()
            .all(|s| !actions(s).iter().any(|a| a == "dynamodb:Scan")),
        "the wake machine no longer scans"
    );
}
