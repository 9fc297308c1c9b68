//! The children's results as the Distributed Map's `ResultWriter` wrote them: a
//! `manifest.json` naming the result files by status, each file a JSON array of the Map's child
//! workflow executions with their `Input` and `Output` as JSON text
//! (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html).
//! One Map child is one queue; its output is one result per database.

use serde::Deserialize;
use serde_json::Value;

use super::outcome::{self, Outcome, Status};
use super::store::Store;
use crate::error::Error;

/// `manifest.json`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Manifest {
    #[serde(default)]
    result_files: ResultFiles,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
struct ResultFiles {
    #[serde(default)]
    succeeded: Vec<ResultFile>,
    #[serde(default)]
    failed: Vec<ResultFile>,
    #[serde(default)]
    pending: Vec<ResultFile>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ResultFile {
    key: String,
}

/// Every database's outcome in the results the manifest at `manifest_key` names.
pub async fn read(store: &Store, manifest_key: &str) -> Result<Vec<Outcome>, Error> {
    let manifest: Manifest = store.get_json(manifest_key).await?;
    let files = manifest.result_files;
    let mut out = Vec::new();
    for file in files
        .succeeded
        .iter()
        .chain(&files.failed)
        .chain(&files.pending)
    {
        let entries: Vec<Value> = store.get_json(&file.key).await?;
        out.extend(entries.iter().flat_map(entry));
    }
    Ok(out)
}

/// One Map child (one queue): its databases' results, or, when the child itself failed, each
/// of its databases as not started with the child's error.
pub fn entry(child: &Value) -> Vec<Outcome> {
    let text = |k: &str| child.get(k).and_then(Value::as_str);
    let parsed = |k: &str| text(k).and_then(|t| serde_json::from_str::<Value>(t).ok());
    if text("Status") == Some("SUCCEEDED") {
        if let Some(Value::Array(results)) = parsed("Output") {
            return results.iter().map(outcome::read).collect();
        }
    }
    let error = text("Error").unwrap_or("MapChildFailed").to_owned();
    let cause = text("Cause").unwrap_or("").to_owned();
    let items = parsed("Input")
        .and_then(|i| i.get("items").and_then(Value::as_array).cloned())
        .unwrap_or_default();
    items
        .iter()
        .map(|item| {
            let mut o = outcome::read(&serde_json::json!({
                "name": item.get("name"), "database": item.get("database"), "wave": item.get("wave"),
            }));
            o.status = Status::NotStarted;
            o.error = Some(error.clone());
            o.cause = Some(format!(
                "the fleet's queue {} ended {}: {cause}",
                text("Name").unwrap_or("?"),
                text("Status").unwrap_or("?")
            ));
            o
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_queue_gives_its_databases_and_a_failed_queue_names_them_not_started() {
        let r = |s: &str| json!({"name": s, "database": s, "wave": 1, "run": {"ending": "Done", "precheck": {}}});
        let ok = json!({"Status": "SUCCEEDED", "Output": json!([r("a"), r("b")]).to_string(), "Input": "{}"});
        let outcomes = entry(&ok);
        assert_eq!(outcomes.len(), 2);
        assert!(outcomes.iter().all(|o| o.status == Status::Succeeded));
        let failed = json!({"Status": "FAILED", "Name": "q1", "Error": "States.Runtime", "Cause": "boom",
            "Input": json!({"lane": "l", "items": [{"name": "n1", "database": "a/r/x", "wave": 2}]}).to_string()});
        let outcomes = entry(&failed);
        assert_eq!(outcomes.len(), 1);
        assert_eq!(
            (
                outcomes[0].status,
                outcomes[0].wave,
                outcomes[0].error.as_deref()
            ),
            (Status::NotStarted, 2, Some("States.Runtime"))
        );
        assert!(outcomes[0].status.is_failure());
    }
}
