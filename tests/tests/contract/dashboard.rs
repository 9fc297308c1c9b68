//! The template's dashboard and alarms against the metrics the code emits: every widget and
//! every alarm names a metric of `bluegreen::metrics::ALL` with exactly its dimension set (or
//! one of AWS's own that the template means), every metric the code emits is on the
//! dashboard, and every alarm publishes to the topic and only exists with `Alarms: enabled`.

use std::collections::BTreeSet;

use bluegreen::metrics::{self, MetricDef};
use e2e::moto::root;
use serde_json::Value;
use serde_norway::Value as Yaml;

/// A metric a widget or alarm names: namespace, name, dimension names (sorted).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Reference {
    namespace: String,
    name: String,
    dimensions: BTreeSet<String>,
}

/// AWS's metrics the template may use, with their dimension (Step Functions: "Monitoring Step
/// Functions metrics using Amazon CloudWatch", execution metrics by StateMachineArn; Lambda:
/// "Types of metrics for Lambda functions", Errors by FunctionName; SQS: "Available CloudWatch
/// metrics for Amazon SQS", the dead-letter queue's depth by QueueName).
const AWS_METRICS: [(&str, &str, &str); 7] = [
    ("AWS/States", "ExecutionsStarted", "StateMachineArn"),
    ("AWS/States", "ExecutionsSucceeded", "StateMachineArn"),
    ("AWS/States", "ExecutionsFailed", "StateMachineArn"),
    ("AWS/States", "ExecutionsTimedOut", "StateMachineArn"),
    ("AWS/States", "ExecutionsAborted", "StateMachineArn"),
    ("AWS/Lambda", "Errors", "FunctionName"),
    ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName"),
];

fn template() -> Yaml {
    let text = std::fs::read_to_string(root().join("template.yaml")).expect("template.yaml");
    serde_norway::from_str(&text).expect("template.yaml parses as YAML")
}

/// The resources of type `kind`, by logical id.
fn resources(template: &Yaml, kind: &str) -> Vec<(String, Yaml)> {
    template["Resources"]
        .as_mapping()
        .expect("Resources")
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some(kind))
        .map(|(id, r)| (id.as_str().unwrap().to_owned(), r.clone()))
        .collect()
}

/// A tagged value's tag and inner value (`!Sub x` → ("Sub", x)).
fn tagged(value: &Yaml) -> Option<(String, &Yaml)> {
    match value {
        Yaml::Tagged(t) => Some((
            t.tag.to_string().trim_start_matches('!').to_owned(),
            &t.value,
        )),
        _ => None,
    }
}

/// Checks one reference against the code's metrics (or AWS's) and returns it.
fn check(reference: Reference, context: &str) -> Reference {
    if reference.namespace == metrics::NAMESPACE {
        let def: &MetricDef = metrics::catalog::find(&reference.name).unwrap_or_else(|| {
            panic!(
                "{context}: {} is not a metric the code emits",
                reference.name
            )
        });
        let expected: BTreeSet<String> =
            def.dimensions.iter().map(|d| d.name().to_owned()).collect();
        assert_eq!(
            reference.dimensions, expected,
            "{context}: {} is emitted with dimensions {expected:?}",
            reference.name
        );
    } else {
        let known = AWS_METRICS.iter().any(|(ns, name, dim)| {
            reference.namespace == *ns
                && reference.name == *name
                && reference.dimensions == BTreeSet::from([(*dim).to_owned()])
        });
        assert!(
            known,
            "{context}: {reference:?} is none of the AWS metrics the template means"
        );
    }
    reference
}

/// The metrics a `SEARCH('{Namespace,Dim,...} MetricName="Name"', ...)` expression names.
fn searched(expression: &str) -> Vec<Reference> {
    let mut found = Vec::new();
    let mut rest = expression;
    while let Some(at) = rest.find("SEARCH('{") {
        rest = &rest[at + "SEARCH('{".len()..];
        let close = rest.find('}').expect("a SEARCH schema ends with }");
        let mut schema = rest[..close].split(',').map(str::trim);
        let namespace = schema.next().unwrap().to_owned();
        let dimensions = schema.map(str::to_owned).collect();
        let name_at = rest
            .find("MetricName=\"")
            .expect("SEARCH names its MetricName")
            + 12;
        let name = rest[name_at..].split('"').next().unwrap().to_owned();
        found.push(Reference {
            namespace,
            name,
            dimensions,
        });
    }
    found
}

/// The dashboard's body as JSON (`${...}` replaced by a placeholder).
fn dashboard_body(template: &Yaml) -> Value {
    let dashboards = resources(template, "AWS::CloudWatch::Dashboard");
    assert_eq!(dashboards.len(), 1, "one dashboard");
    let (tag, body) = tagged(&dashboards[0].1["Properties"]["DashboardBody"]).expect("!Sub body");
    assert_eq!(tag, "Sub");
    let mut text = body.as_str().expect("the body is text").to_owned();
    while let Some(start) = text.find("${") {
        let end = start + text[start..].find('}').expect("closed ${...}");
        text.replace_range(start..=end, "placeholder");
    }
    serde_json::from_str(&text).expect("the dashboard body is JSON")
}

/// Every metric each widget of the dashboard names.
fn dashboard_references(body: &Value) -> Vec<Reference> {
    let mut found = Vec::new();
    for widget in body["widgets"].as_array().expect("widgets") {
        let title = widget["properties"]["title"]
            .as_str()
            .unwrap_or("text")
            .to_owned();
        if widget["type"] != "metric" {
            continue;
        }
        let lines = widget["properties"]["metrics"].as_array().expect("metrics");
        assert!(!lines.is_empty(), "{title}: no metric");
        for line in lines {
            let items = line.as_array().expect("a metric line is an array");
            match &items[0] {
                Value::String(namespace) => {
                    let rest: Vec<&str> = items[1..].iter().filter_map(Value::as_str).collect();
                    assert!(rest.len() % 2 == 1, "{title}: name, then dimension pairs");
                    found.push(check(
                        Reference {
                            namespace: namespace.clone(),
                            name: rest[0].to_owned(),
                            dimensions: rest[1..].chunks(2).map(|p| p[0].to_owned()).collect(),
                        },
                        &title,
                    ));
                }
                Value::Object(o) => {
                    let expression = o["expression"].as_str().expect("an expression");
                    for r in searched(expression) {
                        found.push(check(r, &title));
                    }
                }
                other => panic!("{title}: unexpected metric line {other}"),
            }
        }
    }
    found
}

#[test]
fn the_dashboard_shows_every_metric_the_code_emits_and_nothing_else() {
    let found = dashboard_references(&dashboard_body(&template()));
    for def in metrics::ALL {
        assert!(
            found
                .iter()
                .any(|r| r.namespace == metrics::NAMESPACE && r.name == def.name),
            "{} is emitted but not on the dashboard",
            def.name
        );
    }
    for (_, name, _) in AWS_METRICS {
        assert!(
            found.iter().any(|r| r.name == name),
            "{name} is not on the dashboard"
        );
    }
}

/// The metric an alarm's `MetricStat.Metric` (or the alarm itself) names, and its dimension values.
fn alarm_metric(m: &Yaml, context: &str) -> (Reference, Vec<Yaml>) {
    let dimensions = m["Dimensions"].as_sequence().cloned().unwrap_or_default();
    let reference = check(
        Reference {
            namespace: m["Namespace"].as_str().expect("Namespace").to_owned(),
            name: m["MetricName"].as_str().expect("MetricName").to_owned(),
            dimensions: dimensions
                .iter()
                .map(|d| d["Name"].as_str().unwrap().to_owned())
                .collect(),
        },
        context,
    );
    (
        reference,
        dimensions.iter().map(|d| d["Value"].clone()).collect(),
    )
}

/// `!Ref Name` as `Some("Name")`.
fn reference_to(value: &Yaml) -> Option<String> {
    let (tag, inner) = tagged(value)?;
    (tag == "Ref").then(|| inner.as_str().unwrap().to_owned())
}

/// A dimension value as written: `!Ref Name` as `Name`, a plain value as it is.
fn written(value: &Yaml) -> String {
    reference_to(value)
        .or_else(|| value.as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[test]
fn every_alarm_names_an_emitted_metric_and_tells_the_topic() {
    let template = template();
    assert_eq!(
        template["Parameters"]["Alarms"]["AllowedValues"],
        serde_norway::from_str::<Yaml>("[enabled, disabled]").unwrap()
    );
    let alarms = resources(&template, "AWS::CloudWatch::Alarm");
    let mut watched: Vec<(Reference, Vec<String>)> = Vec::new();
    for (id, alarm) in &alarms {
        assert_eq!(
            alarm["Condition"].as_str(),
            Some("AlarmsEnabled"),
            "{id}: off with Alarms: disabled"
        );
        let p = &alarm["Properties"];
        let actions = p["AlarmActions"].as_sequence().expect("AlarmActions");
        assert!(
            actions
                .iter()
                .any(|a| reference_to(a).as_deref() == Some("Topic")),
            "{id}: publishes to the topic"
        );
        let metrics = match p["Metrics"].as_sequence() {
            None => vec![alarm_metric(p, id)],
            Some(list) => {
                let ids: BTreeSet<&str> = list.iter().filter_map(|m| m["Id"].as_str()).collect();
                for m in list {
                    if let Some(expression) = m["Expression"].as_str() {
                        for word in expression.split(|c: char| !c.is_ascii_alphanumeric()) {
                            assert!(
                                word.is_empty() || ids.contains(word),
                                "{id}: `{word}` of `{expression}` is no metric of the alarm"
                            );
                        }
                    }
                }
                list.iter()
                    .filter(|m| !m["MetricStat"].is_null())
                    .map(|m| alarm_metric(&m["MetricStat"]["Metric"], id))
                    .collect()
            }
        };
        assert!(!metrics.is_empty(), "{id}: watches a metric");
        watched.extend(
            metrics
                .into_iter()
                .map(|(r, values)| (r, values.iter().map(written).collect())),
        );
    }
    let watches = |name: &str, value: Option<&str>| {
        watched.iter().any(|(r, values)| {
            r.name == name && value.is_none_or(|v| values.iter().any(|x| x == v))
        })
    };
    for machine in ["StateMachine", "FleetStateMachine"] {
        for name in [
            "ExecutionsFailed",
            "ExecutionsTimedOut",
            "ExecutionsAborted",
        ] {
            assert!(
                watches(name, Some(machine)),
                "an alarm on {name} of {machine}"
            );
        }
    }
    for function in [
        "PrecheckFunction",
        "CreateFunction",
        "PollStatusFunction",
        "SwitchoverFunction",
        "DeleteOldFunction",
        "NotifyFunction",
    ] {
        assert!(
            watches("Errors", Some(function)),
            "an alarm on the errors of {function}"
        );
    }
    assert!(
        watches("StaleLocks", Some("LockTable")),
        "an alarm on a lock held past the bound"
    );
    for action in ["upgrade", "switchover", "cleanup", "abandon"] {
        assert!(
            watches("LockReleaseFailed", Some(action)),
            "an alarm on failed releases of {action}"
        );
    }
    for channel in ["sns", "slack"] {
        assert!(
            watches("NotificationFailures", Some(channel)),
            "an alarm on {channel} failures"
        );
    }
}

#[test]
fn searches_are_read_with_their_dimensions() {
    let found = searched("SEARCH('{RdsBlueGreen,Rule,Severity} MetricName=\"PrecheckFindings\"', 'Sum', 86400) + SEARCH('{AWS/Lambda,FunctionName} MetricName=\"Errors\"', 'Sum', 60)");
    assert_eq!(found.len(), 2);
    assert_eq!(
        found[0].dimensions,
        BTreeSet::from(["Rule".to_owned(), "Severity".to_owned()])
    );
    assert_eq!(
        (found[1].namespace.as_str(), found[1].name.as_str()),
        ("AWS/Lambda", "Errors")
    );
}

#[test]
fn docs_metrics_lists_every_metric_with_its_unit_and_dimensions() {
    let doc = std::fs::read_to_string(root().join("docs/metrics.md")).expect("docs/metrics.md");
    for def in metrics::ALL {
        let dims: Vec<&str> = def.dimensions.iter().map(|d| d.name()).collect();
        let row = format!(
            "| `{}` | {} | {} |",
            def.name,
            def.unit.name(),
            dims.join(", ")
        );
        assert!(doc.contains(&row), "docs/metrics.md lacks the row {row}");
    }
}
