//! The message for each stage: what happened, in words a person on call reads in seconds,
//! and what to do when something is expected of them.

use std::time::{Duration, SystemTime};

use serde_json::Value;

use super::event::{number_at, text_at, Event, Outcome, Stage};
use super::failure;
use super::findings::{self, PrecheckSummary};
use super::format::{human_duration, rfc3339, truncate};
use super::links;
use super::message::{Details, Message};
use crate::aws::arn;

/// Builds the message for an event. `now` dates what is scheduled (the end of the grace period).
///
/// A failure arrives either as stage `failed` (the failed stage in `detail.failedStage`) or,
/// as the state machine sends it, as the stage that failed with outcome `failure` and the
/// caught `error`; both read the same.
pub fn compose(event: &Event, now: SystemTime) -> Message {
    let mut m = Message {
        stage: event.stage.name().to_owned(),
        outcome: event.outcome,
        target: event.target.clone(),
        headline: String::new(),
        summary: String::new(),
        facts: common_facts(event),
        details: None,
        next_steps: Vec::new(),
        links: event_links(event),
        error: event.error.as_ref().map(|c| c.name.clone()),
        execution_arn: event.execution.arn.clone(),
    };
    if event.outcome == Outcome::Failure && event.error.is_some() && event.stage != Stage::Failed {
        failure::describe(event, event.stage.name(), &mut m);
        return m;
    }
    match &event.stage {
        Stage::Started => started(event, &mut m),
        Stage::PrecheckReport => precheck_report(event, &mut m),
        Stage::GreenCreating => green_creating(event, &mut m),
        Stage::GreenReady => green_ready(event, &mut m),
        Stage::AwaitingApproval => awaiting_approval(event, &mut m),
        Stage::SnapshotTaken => snapshot_taken(event, &mut m),
        Stage::SwitchoverStarted => switchover_started(event, &mut m),
        Stage::SwitchoverCompleted => switchover_completed(event, &mut m),
        Stage::Verified => verified(event, &mut m),
        Stage::CleanupScheduled => cleanup_scheduled(event, &mut m, now),
        Stage::OldBlueDeleted => old_blue_deleted(event, &mut m),
        Stage::Done => done(event, &mut m),
        Stage::DryRunReport => dry_run_report(event, &mut m),
        Stage::Abandoned => abandoned(event, &mut m),
        Stage::Failed => failure::describe(event, &failure::failed_stage(event), &mut m),
        Stage::Other(name) => other(name, event, &mut m),
    }
    if let (Some(caught), false) = (&event.error, event.stage == Stage::Failed) {
        m.summary
            .push_str(&format!("\n\nError: {}: {}", caught.name, caught.message));
    }
    m
}

fn common_facts(event: &Event) -> Vec<(String, String)> {
    let t = &event.target;
    let execution = event.execution.name.clone().or_else(|| {
        event
            .execution
            .arn
            .as_deref()
            .and_then(|a| a.rsplit(':').next())
            .map(str::to_owned)
    });
    [
        ("Database", t.identifier.clone()),
        ("Engine", t.engine.clone()),
        ("Account", t.account_id.clone()),
        ("Region", t.region.clone()),
        ("Stage", Some(event.stage.name().to_owned())),
        ("Outcome", Some(event.outcome.name().to_owned())),
        ("Deployment", event.deployment_id()),
        ("Execution", execution),
    ]
    .into_iter()
    .filter_map(|(k, v)| Some((k.to_owned(), v?)))
    .collect()
}

fn event_links(event: &Event) -> Vec<links::Link> {
    let execution = event.execution.arn.as_deref().and_then(links::execution);
    let database = match (&event.target.region, &event.target.identifier) {
        (Some(region), Some(identifier)) => {
            Some(links::database(region, identifier, event.target.kind))
        }
        _ => None,
    };
    execution.into_iter().chain(database).collect()
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

fn list_at(value: &Value, path: &[&str]) -> Vec<String> {
    let found = path.iter().try_fold(value, |v, key| v.get(key));
    found
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|i| {
                    i.as_str()
                        .map(str::to_owned)
                        .or_else(|| text_at(i, &["id"]))
                        .or_else(|| text_at(i, &["name"]))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn option(event: &Event, name: &str) -> Option<String> {
    event.request_text(&["options", name])
}

/// How the workflow reaches switchover, in words.
fn switchover_plan(event: &Event) -> String {
    match option(event, "switchoverMode").as_deref() {
        Some("window") => format!(
            "at {} (UTC)",
            option(event, "switchoverAt").unwrap_or_else(|| "the window's time".into())
        ),
        Some("manual") => {
            "after your approval (a new execution with \"action\": \"switchover\")".into()
        }
        _ => "as soon as green is ready".into(),
    }
}

fn started(event: &Event, m: &mut Message) {
    let db = m.database().to_owned();
    let action = event.action();
    let version = option(event, "targetEngineVersion");
    m.headline = match action.as_str() {
        "upgrade" => "upgrade started".into(),
        "dry-run" => "dry run started".into(),
        "switchover" => "switchover workflow started".into(),
        other => format!("{other} started"),
    };
    m.summary = match action.as_str() {
        "upgrade" => format!(
            "The Blue/Green upgrade of {db} started ({}). Production keeps running on blue until switchover, which happens {}.",
            version.as_deref().map(|v| format!("target engine version {v}")).unwrap_or_else(|| "same engine version: a parameter or storage change".into()),
            switchover_plan(event)
        ),
        "dry-run" => format!("Prechecks of {db} only: nothing will be changed. A report follows."),
        "switchover" => format!("Resuming {db} at switchover: green is checked again, blue is snapshotted if asked, then RDS switches over."),
        "cleanup" => format!("Deleting old blue of {db}, with a final snapshot unless finalSnapshot is false."),
        "abandon" => format!("Removing green of {db} before switchover; blue is untouched."),
        other => format!("Action `{other}` started for {db}."),
    };
    if let Some(v) = version {
        m.facts.push(("Target version".into(), v));
    }
    if action == "upgrade" {
        m.facts.push(("Switchover".into(), switchover_plan(event)));
    }
}

fn precheck_details(m: &mut Message, summary: PrecheckSummary) {
    m.facts.push((
        "Findings".into(),
        format!(
            "{} blocking, {}",
            summary.blocking,
            plural(summary.warnings, "warning")
        ),
    ));
    m.details = Some(Details {
        title: "Precheck findings".into(),
        body: summary.table,
    });
}

fn precheck_report(event: &Event, m: &mut Message) {
    let s = findings::summarize(&event.detail);
    (m.headline, m.summary) = match (s.blocking, s.warnings) {
        (0, 0) => (
            "prechecks passed".into(),
            "Every precheck passed; the upgrade continues with creating green.".into(),
        ),
        (0, w) => (
            format!("prechecks passed with {}", plural(w, "warning")),
            "No blocking finding; the upgrade continues. Read the warnings below.".into(),
        ),
        (b, _) => (
            format!("prechecks found {}", plural(b, "blocking problem")),
            "The upgrade stops before changing anything.".into(),
        ),
    };
    if s.blocking > 0 {
        m.next_steps = vec![
            "Fix each blocking finding (its fix is under it).".into(),
            "Check again with \"action\": \"dry-run\", then start the upgrade again.".into(),
        ];
    }
    precheck_details(m, s);
}

fn dry_run_report(event: &Event, m: &mut Message) {
    let s = findings::summarize(&event.detail);
    (m.headline, m.next_steps) = match (s.blocking, s.warnings) {
        (0, w) => (
            if w == 0 { "dry run: ready for the upgrade".into() } else { format!("dry run: ready, with {}", plural(w, "warning")) },
            vec!["Start the upgrade: a new execution with the same input and \"action\": \"upgrade\".".into()],
        ),
        (b, w) => (
            format!("dry run: {} and {}", plural(b, "blocking problem"), plural(w, "warning")),
            vec![
                "Fix each blocking finding (its fix is under it).".into(),
                "Run the dry run again; when it is ready, start the upgrade with \"action\": \"upgrade\".".into(),
            ],
        ),
    };
    m.summary = format!(
        "Prechecks only: nothing was changed.{}",
        if s.blocking > 0 {
            " An upgrade would stop at the blocking findings below."
        } else {
            ""
        }
    );
    precheck_details(m, s);
}

fn green_creating(event: &Event, m: &mut Message) {
    let d = &event.detail;
    let status = text_at(d, &["status"]).unwrap_or_else(|| "PROVISIONING".into());
    let tasks: Vec<(String, String)> = d
        .get("tasks")
        .and_then(Value::as_array)
        .map(|ts| {
            ts.iter()
                .map(|t| {
                    (
                        text_at(t, &["name"]).unwrap_or_else(|| "?".into()),
                        text_at(t, &["status"]).unwrap_or_else(|| "?".into()),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let completed = tasks.iter().filter(|(_, s)| s == "COMPLETED").count();
    let waiting = list_at(d, &["waitingFor"]);
    m.headline = "green environment being created".into();
    let mut summary = format!(
        "RDS is building green for {} (deployment status {status}).",
        m.database()
    );
    if !tasks.is_empty() {
        summary.push_str(&format!(
            " {completed} of {} completed.",
            plural(tasks.len(), "task")
        ));
        m.facts.push((
            "Tasks".into(),
            format!("{completed}/{} completed", tasks.len()),
        ));
        let width = tasks.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
        m.details = Some(Details {
            title: "Tasks".into(),
            body: tasks
                .iter()
                .map(|(n, s)| format!("{n:<width$}  {s}\n"))
                .collect(),
        });
    }
    if !waiting.is_empty() {
        summary.push_str(&format!(" Waiting for: {}.", waiting.join(", ")));
    }
    if let Some(wait) = number_at(d, &["nextWaitSeconds"]) {
        summary.push_str(&format!(" Next check in {}.", human_duration(wait)));
    }
    m.summary = summary;
    m.facts.push(("Status".into(), status));
    if let Some(attempt) = number_at(d, &["attempt"]) {
        m.facts.push(("Check".into(), format!("#{attempt}")));
    }
}

/// Green's name: the deployment's target ARN (before switchover), from the event or detail.
fn green_name(event: &Event) -> Option<String> {
    text_at(&event.deployment, &["targetArn"])
        .or_else(|| text_at(&event.detail, &["targetArn"]))
        .map(|a| arn::name_of(&a).to_owned())
}

fn green_ready(event: &Event, m: &mut Message) {
    m.headline = "green environment ready".into();
    let then = match option(event, "switchoverMode").as_deref() {
        Some("manual") => {
            "The workflow now waits for your approval (see the next message).".to_owned()
        }
        Some("window") => format!("Switchover is scheduled {}.", switchover_plan(event)),
        _ => "Switchover follows now.".to_owned(),
    };
    m.summary = format!("Green is in sync with blue and ready for switchover. Production still runs on blue. {then}");
    if let Some(green) = green_name(event) {
        m.facts.push(("Green".into(), green));
    }
    m.facts.push(("Switchover".into(), switchover_plan(event)));
}

/// The input that continues this execution at switchover: the same request, another action.
fn input_with_action(request: &Value, action: &str) -> Option<String> {
    let mut input = request.as_object()?.clone();
    input.insert("action".into(), Value::String(action.into()));
    serde_json::to_string_pretty(&input).ok()
}

fn awaiting_approval(event: &Event, m: &mut Message) {
    m.headline = "green ready: approve the switchover".into();
    m.summary = format!(
        "Green is ready and in sync. Production still runs on blue, and nothing changes until you continue. Switchover drops connections briefly (usually under a minute); RDS rolls back if it takes more than {} s.",
        option(event, "switchoverTimeoutSeconds").unwrap_or_else(|| "300".into())
    );
    let machine = event
        .execution
        .state_machine_arn()
        .unwrap_or_else(|| "<state machine ARN>".into());
    let region = event
        .execution
        .region()
        .map(|r| format!(" --region {r}"))
        .unwrap_or_default();
    m.next_steps = vec![
        format!("To switch over, start a new execution of this state machine with the same input and \"action\": \"switchover\" (below): aws stepfunctions start-execution --state-machine-arn {machine}{region} --input file://switchover.json"),
        "After switchover old blue is deleted when the grace period ends; if deleteOldBlue is false, delete it later with the same input and \"action\": \"cleanup\".".into(),
        "To drop green without switching over, use the same input with \"action\": \"abandon\"; blue is untouched.".into(),
    ];
    if let Some(input) = input_with_action(&event.request, "switchover") {
        m.details = Some(Details {
            title: "switchover.json (the input for the switchover execution)".into(),
            body: input,
        });
    }
    if let Some(green) = green_name(event) {
        m.facts.push(("Green".into(), green));
    }
}

fn snapshot_taken(event: &Event, m: &mut Message) {
    let d = &event.detail;
    let skipped = d.get("skipped").and_then(Value::as_bool).unwrap_or(false);
    match text_at(d, &["snapshotId"]).filter(|_| !skipped) {
        Some(id) => {
            m.headline = format!("blue snapshot {id} taken");
            m.summary = format!(
                "Snapshot {id} of blue ({}) was taken right before switchover: it is the restore point if the upgrade must be undone.",
                text_at(d, &["snapshotStatus"]).unwrap_or_else(|| "available".into())
            );
            m.facts.push(("Snapshot".into(), id));
        }
        None => {
            m.headline = "blue snapshot skipped".into();
            m.summary = "No snapshot of blue was taken before switchover (options.snapshotBeforeSwitchover is false).".into();
        }
    }
}

fn switchover_started(event: &Event, m: &mut Message) {
    let timeout = option(event, "switchoverTimeoutSeconds").unwrap_or_else(|| "300".into());
    m.headline = "switchover started".into();
    m.summary = format!(
        "RDS is switching production from blue to green. Writes stop briefly (usually under a minute) and connections drop; clients reconnect to the same endpoints. If it takes more than {timeout} s, RDS rolls back and blue stays production."
    );
    m.facts
        .push(("Switchover timeout".into(), format!("{timeout} s")));
}

fn switchover_completed(event: &Event, m: &mut Message) {
    let d = &event.detail;
    let field = |name: &str| text_at(d, &[name]).or_else(|| text_at(d, &["switchover", name]));
    let duration = number_at(d, &["durationSeconds"])
        .or_else(|| number_at(d, &["switchover", "durationSeconds"]));
    m.headline = match duration {
        Some(s) => format!("switchover completed in {}", human_duration(s)),
        None => "switchover completed".into(),
    };
    m.summary = "Production now runs on green under the original names and endpoints. Old blue is kept, renamed with an -old suffix, until cleanup.".into();
    if let Some(s) = duration {
        m.facts.push(("Switchover took".into(), human_duration(s)));
    }
    for (label, name) in [("Started at", "startedAt"), ("Completed at", "completedAt")] {
        if let Some(at) = field(name) {
            m.facts.push((label.into(), at));
        }
    }
}

fn old_blue_name(event: &Event) -> Option<String> {
    text_at(&event.detail, &["oldBlue", "identifier"])
        .or_else(|| {
            text_at(&event.detail, &["oldBlue", "arn"]).map(|a| arn::name_of(&a).to_owned())
        })
        .or_else(|| {
            text_at(&event.deployment, &["sourceArn"])
                .map(|a| arn::name_of(&a).to_owned())
                .filter(|n| arn::old_suffix(n).is_some())
        })
}

fn verified(event: &Event, m: &mut Message) {
    let version = text_at(&event.detail, &["production", "engineVersion"])
        .or_else(|| text_at(&event.detail, &["production", "version"]));
    m.headline = match &version {
        Some(v) => format!("production verified on {v}"),
        None => "production verified".into(),
    };
    m.summary = format!(
        "Checked after switchover: {} is available and runs what the upgrade asked for.{}",
        m.database(),
        old_blue_name(event)
            .map(|o| format!(" Old blue ({o}) is still there."))
            .unwrap_or_default()
    );
    if let Some(v) = version {
        m.facts.push(("Production version".into(), v));
    }
    if let Some(s) = number_at(&event.detail, &["switchover", "durationSeconds"]) {
        m.facts.push(("Switchover took".into(), human_duration(s)));
    }
    if let Some(o) = old_blue_name(event) {
        m.facts.push(("Old blue".into(), o));
    }
}

fn cleanup_scheduled(event: &Event, m: &mut Message, now: SystemTime) {
    let old = old_blue_name(event).unwrap_or_else(|| "old blue".into());
    if option(event, "deleteOldBlue").as_deref() == Some("false") {
        m.headline = "old blue kept for a later cleanup".into();
        m.summary = format!(
            "options.deleteOldBlue is false: {old} is kept (and costs money) until you delete it."
        );
        m.next_steps = vec!["When you no longer need it, start a new execution with the same input and \"action\": \"cleanup\" (a final snapshot is taken first unless finalSnapshot is false).".into()];
        return;
    }
    let grace = number_at(&event.detail, &["gracePeriodSeconds"])
        .or_else(|| number_at(&event.request, &["options", "gracePeriodSeconds"]))
        .unwrap_or(86_400);
    let at = text_at(&event.detail, &["deleteAt"])
        .unwrap_or_else(|| rfc3339(now + Duration::from_secs(grace)));
    let snapshot = if option(event, "finalSnapshot").as_deref() == Some("false") {
        "without a final snapshot"
    } else {
        "after a final snapshot"
    };
    m.headline = format!("old blue to be deleted at {at}");
    m.summary = format!(
        "{old} is kept for a grace period of {} as a way back, then deleted {snapshot}.",
        human_duration(grace)
    );
    m.next_steps = vec![format!(
        "To keep old blue longer, stop this execution before {at}; delete it later with the same input and \"action\": \"cleanup\"."
    )];
    m.facts.push(("Delete at".into(), at));
    m.facts.push(("Grace period".into(), human_duration(grace)));
}

fn old_blue_deleted(event: &Event, m: &mut Message) {
    let snapshot = text_at(&event.detail, &["finalSnapshotId"]);
    let deleted = list_at(&event.detail, &["deleted"]);
    m.headline = match &snapshot {
        Some(s) => format!("old blue deleted (final snapshot {s})"),
        None => "old blue deleted (no final snapshot)".into(),
    };
    m.summary = format!(
        "Deleted: {}.{}",
        if deleted.is_empty() { "old blue".to_owned() } else { deleted.join(", ") },
        snapshot.as_deref().map(|s| format!(" Final snapshot {s} keeps its data; delete the snapshot when you no longer need it.")).unwrap_or_default()
    );
    if let Some(s) = snapshot {
        m.facts.push(("Final snapshot".into(), s));
    }
}

fn done(event: &Event, m: &mut Message) {
    let action = event.action();
    m.headline = match action.as_str() {
        "upgrade" => "upgrade complete".into(),
        "dry-run" => "dry run complete".into(),
        other => format!("{other} complete"),
    };
    m.summary = match action.as_str() {
        "upgrade" | "switchover" => format!(
            "The Blue/Green workflow of {} finished: production runs on green{}.{}",
            m.database(),
            option(event, "targetEngineVersion")
                .map(|v| format!(" ({v})"))
                .unwrap_or_default(),
            if option(event, "deleteOldBlue").as_deref() == Some("false") {
                " Old blue is kept; run \"action\": \"cleanup\" when ready."
            } else {
                ""
            }
        ),
        "cleanup" => "Old blue is gone; only the final snapshot (if any) remains.".into(),
        "abandon" => "Green is gone; blue serves production, unchanged.".into(),
        _ => "The execution finished.".into(),
    };
}

fn abandoned(event: &Event, m: &mut Message) {
    let deleted = list_at(&event.detail, &["deleted"]);
    m.headline = "abandoned: green deleted, blue untouched".into();
    m.summary = format!(
        "The Blue/Green deployment{} and green were removed. Blue still serves production, unchanged.",
        event.deployment_id().map(|d| format!(" {d}")).unwrap_or_default()
    );
    if !deleted.is_empty() {
        m.facts.push(("Deleted".into(), deleted.join(", ")));
    }
}

fn other(name: &str, event: &Event, m: &mut Message) {
    m.headline = name.replace(['-', '_'], " ");
    m.summary = format!("The workflow reported stage `{name}` for {}.", m.database());
    if !event.detail.is_null() {
        m.details = Some(Details {
            title: "Detail".into(),
            body: truncate(
                &serde_json::to_string_pretty(&event.detail).unwrap_or_default(),
                2000,
            ),
        });
    }
}
