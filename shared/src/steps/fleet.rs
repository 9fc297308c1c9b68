//! The fleet's steps, run by existing functions (no seventh binary): the precheck function
//! plans a fleet (it only reads), the notify function judges each wave, builds the report
//! and sends the fleet's messages. Events and answers: docs/step-contracts.md ("Fleet").

use std::collections::{BTreeMap, BTreeSet};

use aws_config::Region;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::aws::clients::ClientFactory;
use crate::error::Error;
use crate::fleet::discovery::{self, Found};
use crate::fleet::lifecycle::{self, Support};
use crate::fleet::outcome::Outcome;
use crate::fleet::outcome::Status;
use crate::fleet::plan::{self, BatchRef, ManifestRead, Roster, Skipped, Sourced, Summary};
use crate::fleet::request::{FleetAction, FleetRequest, Selection, WaveSource};
use crate::fleet::store::{self, Store};
use crate::fleet::{answer, manifest, report, results};
use crate::input::{Engine, Request, Target};
use crate::notify::{fleet as messages, Notifier};
use crate::waits::TokenStore;
use std::time::SystemTime;

/// The plan event: the fleet's input, this execution's name (its folder in the bucket) and
/// the report bucket.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PlanEvent {
    fleet: Value,
    execution_name: String,
    bucket: String,
}

/// Whether an event to the precheck function asks for a fleet plan.
pub fn is_plan(event: &Value) -> bool {
    event.get("fleet").is_some()
}

/// Plans the fleet: validates the input and every database's request, reads the manifest
/// (pinned to its version or ETag when the input says), finds the databases of each selection
/// and, when the fleet needs them, their rollout order and support dates; writes the batches
/// and the roster to S3 and answers the summary. `InvalidInput` names the field, row or
/// database; nothing has started.
pub async fn plan(event: Value, clients: &ClientFactory) -> Result<Value, Error> {
    let event: PlanEvent = super::parse_event(event)?;
    let request = FleetRequest::from_value(event.fleet)?;
    let store = Store::new(
        store::client(clients.base()),
        &event.bucket,
        &store::prefix(&request.fleet, &event.execution_name),
    );
    let mut targets = Vec::new();
    let mut selections = Vec::new();
    if let Some(listed) = &request.targets {
        targets.extend(
            listed
                .iter()
                .enumerate()
                .map(|(i, t)| Sourced::new(t.clone(), format!("targets[{i}]"))),
        );
    }
    let mut manifest_read = None;
    if let Some(m) = &request.manifest {
        let read = store
            .read_pinned(
                &m.bucket,
                &m.key,
                m.version_id.as_deref(),
                m.etag.as_deref(),
            )
            .await?;
        let rows = manifest::parse(&read.body, &m.ignore_columns)?;
        targets.extend(
            rows.targets
                .into_iter()
                .map(|(line, target)| Sourced::new(target, format!("manifest row {line}"))),
        );
        selections.extend(
            rows.selections
                .into_iter()
                .map(|(line, s)| (format!("manifest row {line}"), s)),
        );
        manifest_read = Some(ManifestRead {
            bucket: m.bucket.clone(),
            key: m.key.clone(),
            version_id: read.version_id,
            etag: read.etag,
        });
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
                Found::Target {
                    target,
                    default_wave,
                    facts,
                } => targets.push(Sourced {
                    default_wave,
                    facts,
                    ..Sourced::new(target, origin.clone())
                }),
                Found::Skipped { database, reason } => skipped.push(Skipped { database, reason }),
            }
        }
    }
    if needs_facts(&request) {
        read_facts(&request, clients, &mut targets).await?;
        support_dates(&request, clients, &mut targets).await?;
    }
    let mut plan = plan::build(&request, targets, skipped, &store.bucket, &store.prefix)?;
    plan.summary.manifest = manifest_read;
    for batch in &plan.batches {
        store.put_json(&batch.reference.key, &batch.queues).await?;
    }
    store
        .put_json(&roster_key(&plan.summary), &plan.roster)
        .await?;
    tracing::info!(
        fleet = %plan.summary.fleet,
        databases = plan.summary.database_count,
        waves = plan.summary.wave_count,
        batches = plan.summary.batch_count,
        "fleet planned"
    );
    Ok(json!({ "summary": plan.summary }))
}

fn roster_key(summary: &Summary) -> String {
    format!("{}/roster.json", summary.prefix)
}

/// A dry run reports support dates; RDS's rollout order and a deadline order the waves.
fn needs_facts(request: &FleetRequest) -> bool {
    request.action == FleetAction::DryRun
        || request.waves.from == WaveSource::UpgradeRolloutOrder
        || request.deadline.is_some()
}

/// Engine version and rollout order of listed databases: one listing per account and Region
/// (through the read role a database of it names), not one call per database.
async fn read_facts(
    request: &FleetRequest,
    clients: &ClientFactory,
    targets: &mut [Sourced],
) -> Result<(), Error> {
    let mut lanes: BTreeMap<(Option<String>, String), Vec<usize>> = BTreeMap::new();
    for (i, s) in targets.iter().enumerate() {
        if s.facts.engine_version.is_none() {
            lanes
                .entry((s.target.account_id.clone(), s.target.region.clone()))
                .or_default()
                .push(i);
        }
    }
    for indexes in lanes.values() {
        let first = &targets[indexes[0]];
        let selection = Selection {
            account_id: first.target.account_id.clone(),
            region: first.target.region.clone(),
            role_arn: first.target.role_arn.clone(),
            engines: Vec::new(),
            wave: None,
        };
        let rds = clients.rds(&selection_target(request, &selection, &first.origin)?)?;
        let facts = discovery::facts(&rds).await?;
        for i in indexes {
            if let Some(f) = facts.get(&targets[*i].target.identifier) {
                targets[*i].facts = f.clone();
            }
        }
    }
    Ok(())
}

/// Each database's standard-support end and Extended Support, from RDS's published lifecycle
/// (`DescribeDBMajorEngineVersions`, a catalogue: read once per Region, engine and major
/// version with this function's own credentials).
async fn support_dates(
    request: &FleetRequest,
    clients: &ClientFactory,
    targets: &mut [Sourced],
) -> Result<(), Error> {
    let mut wanted: BTreeMap<(String, Engine), BTreeSet<String>> = BTreeMap::new();
    for s in targets.iter() {
        if let Some(v) = &s.facts.engine_version {
            wanted
                .entry((s.target.region.clone(), s.target.engine))
                .or_default()
                .insert(lifecycle::major_version(s.target.engine, v));
        }
    }
    let mut known: BTreeMap<(String, Engine, String), Support> = BTreeMap::new();
    for ((region, engine), majors) in wanted {
        let config = clients
            .base()
            .to_builder()
            .region(Region::new(region.clone()))
            .build();
        let rds = crate::aws::meter::rds_client(&config);
        for (major, support) in lifecycle::read(&rds, engine, majors).await? {
            known.insert((region.clone(), engine, major), support);
        }
    }
    let deadline = request.deadline.as_deref().and_then(lifecycle::parse_date);
    let today = lifecycle::today();
    for s in targets.iter_mut() {
        let support = s.facts.engine_version.as_ref().and_then(|v| {
            known.get(&(
                s.target.region.clone(),
                s.target.engine,
                lifecycle::major_version(s.target.engine, v),
            ))
        });
        s.support = lifecycle::facts(support, deadline, today);
    }
    Ok(())
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
    /// The batch just run (`batch` stage).
    #[serde(default)]
    batch: Option<BatchRef>,
    /// The Map's answer: `ResultWriterDetails` (`batch` stage).
    #[serde(default)]
    written: Value,
    /// The wave so far (`batch` stage).
    #[serde(default)]
    tally: Tally,
    /// Batches judged (`report` stage).
    #[serde(default)]
    done: usize,
    #[serde(default)]
    stopped: bool,
    #[serde(default)]
    paused: bool,
    /// Why no later wave started when a person rejected or the approval's deadline passed
    /// (`report` stage): `{"Error": "FleetRejected"|"FleetApprovalExpired", "Cause": ...}`.
    #[serde(default)]
    halted: Option<Halted>,
    /// The between-waves wait (`approval` stage).
    #[serde(default)]
    wait: Option<FleetWait>,
    #[serde(default)]
    error: Value,
    #[serde(default)]
    request: Value,
    #[serde(default)]
    execution: Value,
}

/// Why the fleet stopped between waves without a failure.
#[derive(Debug, Clone, Deserialize)]
struct Halted {
    #[serde(rename = "Error")]
    error: String,
    #[serde(rename = "Cause")]
    cause: String,
}

/// What the `approval` stage stores and tells: the task token and when it was asked.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FleetWait {
    token: String,
    asked_at: String,
    wave: u32,
    state_machine_arn: String,
}

/// The current wave's figures, carried from batch to batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Tally {
    wave: u32,
    failed: usize,
    /// Databases this execution started (not found from an earlier start).
    started: usize,
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
    let store = |s: &Summary| -> Result<Store, Error> {
        let clients = notifier.clients().ok_or_else(|| {
            Error::Configuration(
                "the notify function has no AWS clients to read the fleet's files".into(),
            )
        })?;
        Ok(Store::new(
            store::client(clients.base()),
            &s.bucket,
            &s.prefix,
        ))
    };
    match event.fleet_stage.as_str() {
        "started" => {
            let delivery = notifier.deliver(&messages::started(&summary()?, arn)).await;
            Ok(json!(delivery))
        }
        "batch" => {
            let summary = summary()?;
            let batch = event.batch.clone().ok_or_else(|| {
                Error::invalid(
                    "batch",
                    "is missing",
                    "pass the batch just run ($.current.batch)",
                )
            })?;
            let store = store(&summary)?;
            judge(&summary, &batch, &event, &store, notifier, arn).await
        }
        "report" => {
            let summary = summary()?;
            let store = store(&summary)?;
            finish(&summary, &event, &store, notifier, arn).await
        }
        "approval" => {
            let summary = summary()?;
            ask_approval(&summary, &event, notifier, arn).await
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
            let cause = crate::notify::event::lambda_error_message(&text("Cause"));
            let message = messages::failed(fleet, &text("Error"), &cause, arn);
            Ok(json!(notifier.deliver(&message).await))
        }
        other => Err(Error::invalid(
            "fleetStage",
            format!("`{other}` is not a fleet stage"),
            "use started, batch, approval, report or failed",
        )),
    }
}

/// Reads a batch's results (ResultWriter), keeps its outcomes, counts the wave's failures
/// against its tolerance and, at the wave's end, tells the wave. Answers `continue`, `stop`
/// (over tolerance), `pause` (`pauseAfterWave`) or `approve` (`approveBetweenWaves`), both
/// only after a wave that started something and is not the last.
async fn judge(
    summary: &Summary,
    batch: &BatchRef,
    event: &FleetEvent,
    store: &Store,
    notifier: &Notifier,
    arn: Option<&str>,
) -> Result<Value, Error> {
    let manifest_key = event
        .written
        .pointer("/ResultWriterDetails/Key")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            Error::invalid(
                "written",
                "has no ResultWriterDetails.Key",
                "pass the Distributed Map's output (its ResultWriter answer)",
            )
        })?;
    let outcomes = results::read(store, manifest_key).await?;
    store
        .put_json(
            &store::outcomes_key(&summary.prefix, batch.wave, batch.batch),
            &outcomes,
        )
        .await?;
    let mut tally = if event.tally.wave == batch.wave {
        event.tally
    } else {
        Tally {
            wave: batch.wave,
            ..Tally::default()
        }
    };
    tally.failed += outcomes.iter().filter(|o| o.status.is_failure()).count();
    tally.started += outcomes.iter().filter(|o| o.status.started_now()).count();
    let size = summary
        .waves
        .iter()
        .find(|w| w.wave == batch.wave)
        .map_or(batch.databases, |w| w.databases);
    let stop = tally.failed > summary.tolerated_failures.allowed(size);
    let last_wave = summary.waves.last().map(|w| w.wave) == Some(batch.wave);
    let between = !stop && batch.last_of_wave && tally.started > 0 && !last_wave;
    if batch.last_of_wave || stop {
        let wave = wave_outcomes(store, summary, batch).await?;
        notifier
            .deliver(&messages::wave(summary, batch.wave, &wave, stop, arn))
            .await;
    }
    let verdict = if stop {
        "stop"
    } else if between && summary.pause_after_wave {
        "pause"
    } else if between && summary.approve_between_waves {
        "approve"
    } else {
        "continue"
    };
    Ok(json!({"verdict": verdict, "tally": tally}))
}

/// Stores the between-waves token on the fleet's item (`fleet/<name>`) and tells people how
/// to approve or reject the next wave, until when, and what the deadline does.
async fn ask_approval(
    summary: &Summary,
    event: &FleetEvent,
    notifier: &Notifier,
    arn: Option<&str>,
) -> Result<Value, Error> {
    let wait = event.wait.as_ref().ok_or_else(|| {
        Error::invalid(
            "wait",
            "is missing",
            "pass {token: $$.Task.Token, askedAt, wave, stateMachineArn} to the approval stage",
        )
    })?;
    let clients = notifier.clients().ok_or_else(|| {
        Error::Configuration("the notify function has no AWS clients to store the wait".into())
    })?;
    let tokens = TokenStore::from_env(clients.base())?;
    let holder = arn.unwrap_or_default();
    // The deadline counts from the ask, as the state's TimeoutSecondsPath does.
    let now = crate::notify::format::parse_rfc3339(&wait.asked_at).unwrap_or_else(SystemTime::now);
    let key = answer::wait_key(&summary.fleet);
    let waiting = tokens
        .store_fleet_wait(
            &key,
            holder,
            &wait.token,
            summary.approval_timeout_seconds,
            now,
        )
        .await?;
    let message = messages::approval(
        summary,
        wait.wave,
        &waiting.until,
        &wait.state_machine_arn,
        arn,
    );
    notifier.deliver(&message).await;
    Ok(json!({"key": key, "until": waiting.until}))
}

/// Every outcome of `batch`'s wave so far.
async fn wave_outcomes(
    store: &Store,
    summary: &Summary,
    batch: &BatchRef,
) -> Result<Vec<Outcome>, Error> {
    let mut all = Vec::new();
    for b in 0..=batch.batch {
        let key = store::outcomes_key(&summary.prefix, batch.wave, b);
        all.extend(store.get_json::<Vec<Outcome>>(&key).await?);
    }
    Ok(all)
}

/// Writes the report (every database, its outcome and facts), tells the end (or the pause,
/// with the input to go on) and answers how the fleet ends.
async fn finish(
    summary: &Summary,
    event: &FleetEvent,
    store: &Store,
    notifier: &Notifier,
    arn: Option<&str>,
) -> Result<Value, Error> {
    let roster: Roster = store.get_json(&roster_key(summary)).await?;
    let mut outcomes = Vec::new();
    for b in summary.batches.iter().take(event.done) {
        let key = store::outcomes_key(&summary.prefix, b.wave, b.batch);
        outcomes.extend(store.get_json::<Vec<Outcome>>(&key).await?);
    }
    let mut all = report::complete(summary, &roster, &outcomes, event.paused);
    if let Some(h) = &event.halted {
        for o in all.iter_mut().filter(|o| o.status == Status::Skipped) {
            o.cause = Some(format!("not started: {}", h.cause));
        }
    }
    crate::metrics::fleet_databases(&all);
    let name = event
        .execution
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let json_key = format!("{}/report.json", summary.prefix);
    store
        .put(
            &json_key,
            report::json(summary, name, &all, &roster.passed_over).into_bytes(),
            "application/json",
        )
        .await?;
    store
        .put(
            &format!("{}/report.csv", summary.prefix),
            report::csv(&all).into_bytes(),
            "text/csv",
        )
        .await?;
    let location = format!("s3://{}/{json_key}", summary.bucket);
    let failed = all.iter().filter(|o| o.status.is_failure()).count();
    if event.paused {
        let wave = summary
            .batches
            .get(event.done.saturating_sub(1))
            .map_or(0, |b| b.wave);
        let input = serde_json::to_string(&event.request).unwrap_or_default();
        let message = messages::paused(summary, wave, &all, &location, &input, arn);
        notifier.deliver(&message).await;
        return Ok(
            json!({"result": "paused", "failed": failed, "wave": wave, "report": location, "resumeInput": event.request}),
        );
    }
    let mut message = messages::finished(summary, &all, event.stopped, &location, arn);
    if let Some(h) = &event.halted {
        messages::halted(&mut message, &h.error, &h.cause);
    }
    notifier.deliver(&message).await;
    let result = match (event.stopped, failed, &event.halted) {
        (true, _, Some(h)) if h.error == "FleetRejected" => "rejected",
        (true, _, Some(_)) => "expired",
        (true, _, None) => "stopped",
        (false, 0, _) => "succeeded",
        _ => "incomplete",
    };
    Ok(json!({"result": result, "failed": failed, "report": location}))
}
