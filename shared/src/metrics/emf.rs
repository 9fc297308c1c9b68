//! CloudWatch Embedded Metric Format: one JSON document per line on standard output, from
//! which CloudWatch Logs extracts the metric (no API call, no permission beyond the logs).
//!
//! Format: "Specification: Embedded metric format"
//! (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
//! a root object with `_aws.Timestamp` (epoch milliseconds) and `_aws.CloudWatchMetrics`
//! (namespace, dimension sets, metric names and units), and the dimensions' and the metric's
//! values as root members. Lambda sends standard output to the function's log group, where the
//! extraction happens ("Using the embedded metric format with Lambda",
//! https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Lambda.html).

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};

use super::catalog::{MetricDef, NAMESPACE};

/// Longest dimension value kept (CloudWatch allows 1024 characters; ours are short names).
const MAX_VALUE_CHARS: usize = 128;

/// One value of one metric, with its dimensions' values in the metric's own order.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub metric: &'static MetricDef,
    pub value: f64,
    pub dimensions: Vec<String>,
    /// Context logged with the value but no dimension of it (the execution, the database):
    /// searchable in CloudWatch Logs Insights, free of metric cardinality. The specification
    /// lets the root node hold members the directive does not name.
    pub context: Vec<(&'static str, String)>,
}

impl Point {
    /// A point of `metric`; `dimensions` are the values of `metric.dimensions`, in order.
    /// An empty value becomes `unknown` (CloudWatch refuses empty dimension values).
    pub fn new(metric: &'static MetricDef, value: f64, dimensions: &[&str]) -> Point {
        Point {
            metric,
            value,
            dimensions: dimensions
                .iter()
                .map(|v| match v.trim() {
                    "" => "unknown".to_owned(),
                    v => v.chars().take(MAX_VALUE_CHARS).collect(),
                })
                .collect(),
            context: Vec::new(),
        }
    }

    /// The point with a context member `key` (lowercase, so it never clashes with a
    /// dimension or metric name), when `value` is known.
    pub fn with(mut self, key: &'static str, value: Option<&str>) -> Point {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            self.context.push((key, v.to_owned()));
        }
        self
    }

    /// The EMF document of this point, stamped `at`; `None` when the dimensions do not match
    /// the metric's definition (a bug, logged by [`emit`], never a failed step).
    pub fn document(&self, at: SystemTime) -> Option<Value> {
        if self.dimensions.len() != self.metric.dimensions.len() || !self.value.is_finite() {
            return None;
        }
        let names: Vec<&str> = self.metric.dimensions.iter().map(|d| d.name()).collect();
        let millis = at
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let mut root = Map::new();
        for (key, value) in &self.context {
            root.insert((*key).to_owned(), Value::String(value.clone()));
        }
        root.insert(
            "_aws".into(),
            json!({
                "Timestamp": millis,
                "CloudWatchMetrics": [{
                    "Namespace": NAMESPACE,
                    "Dimensions": [names],
                    "Metrics": [{"Name": self.metric.name, "Unit": self.metric.unit.name()}],
                }],
            }),
        );
        for (name, value) in names.iter().zip(&self.dimensions) {
            root.insert((*name).to_owned(), Value::String(value.clone()));
        }
        // Millisecond precision is all a duration needs; counts stay whole.
        let value = (self.value * 1000.0).round() / 1000.0;
        root.insert(self.metric.name.to_owned(), json!(value));
        Some(Value::Object(root))
    }
}

/// Writes each point as one EMF line on standard output. Never fails: a point that does not
/// match its definition is logged and dropped, and a closed stdout loses only metrics.
pub fn emit(points: &[Point]) {
    let now = SystemTime::now();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for point in points {
        match point.document(now) {
            Some(doc) => {
                let _ = writeln!(out, "{doc}");
            }
            None => tracing::warn!(
                metric = point.metric.name,
                dimensions = ?point.dimensions,
                "metric point does not match its definition; not emitted"
            ),
        }
    }
    let _ = out.flush();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::catalog::{GREEN_BUILD_TIME, OUTCOMES};
    use std::time::Duration;

    #[test]
    fn a_document_follows_the_specification() {
        let at = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        let doc = Point::new(&GREEN_BUILD_TIME, 3600.12345, &["aurora-mysql"])
            .document(at)
            .unwrap();
        assert_eq!(
            doc,
            json!({
                "_aws": {
                    "Timestamp": 1_700_000_000_123u64,
                    "CloudWatchMetrics": [{
                        "Namespace": "RdsBlueGreen",
                        "Dimensions": [["Engine"]],
                        "Metrics": [{"Name": "GreenBuildTime", "Unit": "Seconds"}],
                    }],
                },
                "Engine": "aurora-mysql",
                "GreenBuildTime": 3600.123,
            })
        );
        let line = doc.to_string();
        assert!(!line.contains('\n'), "one line per document");
        let with = Point::new(&GREEN_BUILD_TIME, 1.0, &["mysql"])
            .with("execution", Some("run-1"))
            .with("database", None)
            .document(at)
            .unwrap();
        assert_eq!(with["execution"], "run-1", "context is a root member");
        assert!(with.get("database").is_none());
        assert_eq!(
            with["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["Engine"]]),
            "not a dimension"
        );
    }

    #[test]
    fn dimensions_must_match_the_definition() {
        let at = SystemTime::now();
        assert!(Point::new(&OUTCOMES, 1.0, &["upgrade"])
            .document(at)
            .is_none());
        assert!(Point::new(&OUTCOMES, f64::NAN, &["upgrade", "success"])
            .document(at)
            .is_none());
        let doc = Point::new(&OUTCOMES, 1.0, &["", "success"])
            .document(at)
            .unwrap();
        assert_eq!(doc["Action"], "unknown");
        assert_eq!(
            doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["Action", "Outcome"]])
        );
        assert_eq!(doc["Outcomes"], 1.0);
    }
}
