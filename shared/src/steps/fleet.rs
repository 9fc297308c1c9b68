//! The fleet's steps, run by existing functions (no seventh binary): the precheck function
//! plans a fleet (it only reads), the notify function judges each wave, builds the report
//! and sends the fleet's messages. Events and answers: docs/step-contracts.md ("Fleet").

use serde::Deserialize;
use serde_json::{json, Value};

use crate::aws::clients::ClientFactory;
use crate::error::Error;
use crate::fleet::discovery::{self, Found};
use crate::fleet::outcome::{self, Outcome};
use crate::fleet::plan::{self, Entry, Plan, Skipped, Sourced, Summary};
use crate::fleet::request::{FleetRequest, Selection};
use crate::fleet::{manifest, report};
use crate::input::{Engine, Request, Target};
use crate::notify::{fleet as messages, Notifier};

/// The plan event: the fleet's input, and the manifest's text when it names one.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanEvent {
    fleet: Value,
    #[serde(default)]
    manifest: Option<ManifestText>,
}

#[derive(Debug, Deserialize)]
struct ManifestText {
    body: String,
}

/// Whether an event to the precheck function asks for a fleet plan.
pub fn is_plan(event: &Value) -> bool {
    event.get("fleet").is_some()
}

/// Plans the fleet: validates the input and every database's request, reads the manifest,
/// finds the databases of each selection. `InvalidInput` names the field, row or database.
pub async fn plan(event: Value, clients: &ClientFactory) -> Result<Plan, Error> {
    let event: PlanEvent = super::parse_event(event)?;
    let request = FleetRequest::from_value(event.fleet)?;
    let mut targets = Vec::new();
    let mut selections = Vec::new();
    if let Some(listed) = &request.targets {
        targets.extend(listed.iter().enumerate().map(|(i, t)| Sourced {
            target: t.clone(),
            origin: format!("targets[{i}]"),
        }));
    }
    if let Some(m) = &request.manifest {
        let text = event.manifest.map(|m| m.body).ok_or_else(|| {
            Error::invalid(
                "manifest",
                "was not read",
                "the state machine reads the manifest before the plan: check its Read the manifest state",
            )
        })?;
        let rows = manifest::parse(&text, &m.ignore_columns)?;
        targets.extend(rows.targets.into_iter().map(|(line, target)| Sourced {
            target,
            origin: format!("manifest row {line}"),
        }));
        selections.extend(
            rows.selections
                .into_iter()
                .map(|(line, s)| (format!("manifest row {line}"), s)),
        );
    }
    if let Some(listed) = &request.selection {
        selections.extend(
            listed
                .iter()
                .enumerate()
                .map(|(i, s)| (format!("selection[{i}]"), s.clone())),
        );
    }
    let mut skipped = Vec::new();
    for (origin, selection) in selections {
        let rds = clients.rds(&selection_target(&request, &selection, &origin)?)?;
        for found in discovery::discover(&rds, &selection).await? {
            match found {
                Found::Target(target) => targets.push(Sourced {
                    origin: origin.clone(),
                    target,
                }),
                Found::Skipped { database, reason } => skipped.push(Skipped { database, reason }),
            }
        }
    }
    let plan = plan::build(&request, targets, skipped)?;
    tracing::info!(
        fleet = %plan.summary.fleet,
        databases = plan.summary.database_count,
        waves = plan.summary.wave_count,
        "fleet planned"
    );
    Ok(plan)
}

/// The target whose clients read a selection's account and Region (its role from the
/// selection or `memberRoleName`), checked as a database's target would be.
fn selection_target(request: &FleetRequest, s: &Selection, origin: &str) -> Result<Target, Error> {
    let role_arn =
        s.role_arn
            .clone()
            .or_else(|| match (&request.member_role_name, &s.account_id) {
                (Some(role), Some(account)) => Some(format!("arn:aws:iam::{account}:role/{role}")),
                _ => None,
            });
    let target = Target {
        account_id: s.account_id.clone(),
        region: s.region.clone(),
        identifier: "fleet-selection".into(),
        engine: Engine::Mysql,
        role_arn,
    };
    let check = json!({"action": "dry-run", "target": target});
    Request::from_value(check).map_err(|e| match e {
        Error::InvalidInput {
            field,
            problem,
            fix,
        } => Error::InvalidInput {
            field: format!("{origin}: {}", field.trim_start_matches("target.")),
            problem,
            fix,
        },
        other => other,
    })?;
    Ok(target)
}

/// The notify function's fleet event.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FleetEvent {
    fleet_stage: String,
    #[serde(default)]
    summary: Option<Summary>,
    #[serde(default)]
    wave: Option<u32>,
    #[serde(default)]
    results: Value,
    #[serde(default)]
    outcomes: Vec<Outcome>,
    #[serde(default)]
    roster: Vec<Entry>,
    #[serde(default)]
    stopped: bool,
    #[serde(default)]
    report: Option<ReportLocation>,
    #[serde(default)]
    error: Value,
    #[serde(default)]
    request: Value,
    #[serde(default)]
    execution: Value,
}

#[derive(Debug, Deserialize)]
struct ReportLocation {
    bucket: String,
    key: String,
}

/// Whether an event to the notify function is the fleet's.
pub fn is_fleet_event(event: &Value) -> bool {
    event.get("fleetStage").is_some()
}

/// Runs a fleet stage of the notify function; see the module docs.
pub async fn notify(event: Value, notifier: &Notifier) -> Result<Value, Error> {
    let event: FleetEvent = super::parse_event(event)?;
    let arn = event.execution.get("id").and_then(Value::as_str);
    let summary = || {
        event.summary.clone().ok_or_else(|| {
            Error::invalid(
                "summary",
                "is missing",
                "pass $.plan.summary to this fleet stage",
            )
        })
    };
    match event.fleet_stage.as_str() {
        "started" => {
            let delivery = notifier.deliver(&messages::started(&summary()?, arn)).await;
            Ok(json!(delivery))
        }
        "wave" => {
            let summary = summary()?;
            let wave = event.wave.unwrap_or(0);
            let now = outcome::read_wave(&event.results);
            let failed = now.iter().filter(|o| o.status.is_failure()).count();
            let stop = failed > summary.tolerated_failures as usize;
            notifier
                .deliver(&messages::wave(&summary, wave, &now, stop, arn))
                .await;
            let mut all = event.outcomes;
            all.extend(now);
            Ok(
                json!({"verdict": if stop { "stop" } else { "continue" }, "failed": failed, "outcomes": all}),
            )
        }
        "report" => {
            let summary = summary()?;
            let all = report::complete(&event.roster, &event.outcomes);
            let name = event
                .execution
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("");
            Ok(json!({"json": report::json(&summary, name, &all), "csv": report::csv(&all)}))
        }
        "finished" => {
            let summary = summary()?;
            let all = report::complete(&event.roster, &event.outcomes);
            crate::metrics::fleet_databases(&all);
            let location = event
                .report
                .map(|r| format!("s3://{}/{}", r.bucket, r.key))
                .unwrap_or_else(|| "not written".into());
            let message = messages::finished(&summary, &all, event.stopped, &location, arn);
            notifier.deliver(&message).await;
            let failed = all.iter().filter(|o| o.status.is_failure()).count();
            let result = match (event.stopped, failed) {
                (true, _) => "stopped",
                (false, 0) => "succeeded",
                _ => "incomplete",
            };
            Ok(json!({"result": result, "failed": failed}))
        }
        "failed" => {
            let fleet = event
                .request
                .get("fleet")
                .and_then(Value::as_str)
                .unwrap_or("unknown");
            let text = |k: &str| {
                event
                    .error
                    .get(k)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned()
            };
            let cause = text("Cause");
            let cause = serde_json::from_str::<Value>(&cause)
                .ok()
                .and_then(|v| {
                    v.get("errorMessage")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .unwrap_or(cause);
            let message = messages::failed(fleet, &text("Error"), &cause, arn);
            Ok(json!(notifier.deliver(&message).await))
        }
        other => Err(Error::invalid(
            "fleetStage",
            format!("`{other}` is not a fleet stage"),
            "use started, wave, report, finished or failed",
        )),
    }
}
