//! The message for each stage: what happened, in words a person on call reads in seconds,
//! and what to do when something is expected of them.

use std::time::{Duration, SystemTime};

use serde_json::Value;

use super::event::{answer, number_at, text_at, Event, Outcome, Stage};
use super::findings::{self, PrecheckSummary};
use super::format::{human_duration, human_seconds, parse_rfc3339, rfc3339, truncate};
use super::links;
use super::message::{Details, Message};
use super::record::before_execution;
use super::{ended, failure};
use crate::aws::arn;
use crate::aws::deployment::{DeploymentRef, DeploymentStatus};
use crate::input::{DEFAULT_GRACE_PERIOD_SECONDS, DEFAULT_SWITCHOVER_TIMEOUT_SECONDS};
use crate::readiness::Phase;
use crate::steps::{create, delete_old, poll_status, switchover};

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
        buttons: None,
    };
    let reported_as_failure = matches!(
        event.stage,
        Stage::Failed | Stage::ExecutionEnded | Stage::LockReleased
    );
    if event.outcome == Outcome::Failure && event.error.is_some() && !reported_as_failure {
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
        Stage::ExecutionEnded => ended::describe(event, &mut m),
        Stage::AlreadyInProgress => super::already::describe(event, &mut m),
        Stage::LockReleased => failure::describe(event, "lock-released", &mut m),
        Stage::AnswerNotTaken => super::not_taken::describe(event, &mut m),
        Stage::Other(name) => other(name, event, &mut m),
    }
    if let (Some(caught), false) = (&event.error, reported_as_failure) {
        m.summary
            .push_str(&format!("\n\nError: {}: {}", caught.name, caught.message));
    }
    m
}

/// Why no message goes out for `event`: its stage's work was not done in this execution, and
/// another message of this execution tells what was found instead. `None`: send one.
///
/// - a snapshot skipped because the deployment had already switched over (the switchover's
///   "already switched over" message says it);
/// - "switchover completed" for a switchover RDS completed before this execution started
///   (RDS-EVENT-0248 read from AWS, [`super::record`]); unknown times never silence.
pub fn silence(event: &Event) -> Option<String> {
    if event.outcome == Outcome::Failure || event.error.is_some() {
        return None;
    }
    match event.stage {
        Stage::SnapshotTaken => {
            let s: switchover::Snapshot = answer(&event.detail)?;
            (s.snapshot_id.is_none()
                && s.skipped.as_deref() == Some(switchover::SKIPPED_ALREADY_SWITCHED))
            .then(|| "no snapshot was taken because the deployment had already switched over; the switchover's message says so".to_owned())
        }
        Stage::SwitchoverCompleted => {
            let at = event.record.switchover_completed.as_deref();
            (before_execution(at, event) == Some(true)).then(|| {
                format!(
                    "the switchover completed at {} (RDS-EVENT-0248), before this execution started; its \"already switched over\" message says so",
                    at.unwrap_or_default()
                )
            })
        }
        _ => None,
    }
}

/// Whether the switchover a `switchover-started` event reports was done before this execution:
/// by RDS's record of its completion when read, else by the step's answer (`already-switched`,
/// or green found switched by poll-status).
fn switched_earlier(event: &Event) -> bool {
    if let Some(before) = before_execution(event.record.switchover_completed.as_deref(), event) {
        return before;
    }
    match answer::<switchover::Switchover>(&event.detail) {
        Some(a) => a.action == switchover::SwitchoverAction::AlreadySwitched,
        None => {
            answer::<poll_status::Status>(&event.detail).is_some_and(|p| p.phase == Phase::Switched)
        }
    }
}

/// Renames the stage of a message that reports work found done (`already-switched-over`...):
/// subscribers filtering on `stage` never take it for the work done now.
fn restage(m: &mut Message, stage: &str) {
    m.stage = stage.to_owned();
    for (label, value) in &mut m.facts {
        if label == "Stage" {
            *value = stage.to_owned();
        }
    }
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

fn option(event: &Event, name: &str) -> Option<String> {
    event.request_text(&["options", name])
}

/// `options.switchoverTimeoutSeconds`, or its default when the input omits it.
fn switchover_timeout(event: &Event) -> String {
    option(event, "switchoverTimeoutSeconds")
        .unwrap_or_else(|| DEFAULT_SWITCHOVER_TIMEOUT_SECONDS.to_string())
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
        // The precheck report this upgrade passed: its warnings are worth reading now.
        let prechecks = findings::summarize(&event.detail);
        if prechecks.passed.is_some() {
            m.summary.push_str(&format!(
                " Prechecks passed with {}.",
                plural(prechecks.warnings, "warning")
            ));
            if prechecks.warnings > 0 {
                precheck_details(m, prechecks);
            }
        }
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
    let created: Option<create::Created> = answer(&event.deployment);
    let poll: Option<poll_status::Status> = answer(&event.detail);
    let status = poll
        .as_ref()
        .map(|p| p.status.clone())
        .or_else(|| created.as_ref().map(|c| c.status.clone()))
        .unwrap_or(DeploymentStatus::Provisioning);
    m.headline = "green environment being created".into();
    let mut summary = format!(
        "RDS is building green for {} (deployment status {status}).",
        m.database()
    );
    let created_at = event.record.deployment_created.as_deref();
    if created.as_ref().is_some_and(|c| c.adopted) {
        if before_execution(created_at, event) == Some(true) {
            let at = created_at.unwrap_or_default();
            restage(m, "green-already-created");
            m.headline = format!("green already created at {at}, nothing created now");
            summary = format!(
                "Deployment {} of {} was created at {at} (CreateTime, read from AWS) by an earlier execution of this request: this execution created nothing and follows it (status {status}).",
                event.deployment_id().unwrap_or_else(|| "?".into()),
                m.database()
            );
        } else {
            summary.push_str(" An earlier run of this request had created this deployment: it is reused, not created twice.");
        }
    }
    if let Some(p) = &poll {
        let completed = p.tasks.iter().filter(|t| t.status == "COMPLETED").count();
        if !p.tasks.is_empty() {
            summary.push_str(&format!(
                " {completed} of {} completed.",
                plural(p.tasks.len(), "task")
            ));
            m.facts.push((
                "Tasks".into(),
                format!("{completed}/{} completed", p.tasks.len()),
            ));
            let width = p.tasks.iter().map(|t| t.name.len()).max().unwrap_or(0);
            m.details = Some(Details {
                title: "Tasks".into(),
                body: p
                    .tasks
                    .iter()
                    .map(|t| format!("{:<width$}  {}\n", t.name, t.status))
                    .collect(),
            });
        }
        if !p.waiting_for.is_empty() {
            summary.push_str(&format!(" Waiting for: {}.", p.waiting_for.join(", ")));
        }
        summary.push_str(&format!(
            " Next check in {}.",
            human_duration(u64::from(p.tick.next_wait_seconds))
        ));
        m.facts
            .push(("Check".into(), format!("#{}", p.tick.attempt)));
    } else {
        summary.push_str(" This takes from about 15 minutes to several hours.");
    }
    m.summary = summary;
    m.facts.push(("Status".into(), status.to_string()));
}

/// Green's name: the target of the deployment as poll-status last read it, else as created.
fn green_name(event: &Event, poll: Option<&poll_status::Status>) -> Option<String> {
    poll.and_then(|p| p.deployment.target_arn.clone())
        .or_else(|| answer::<DeploymentRef>(&event.deployment)?.target_arn)
        .map(|a| arn::name_of(&a).to_owned())
}

fn green_ready(event: &Event, m: &mut Message) {
    let poll: Option<poll_status::Status> = answer(&event.detail);
    m.headline = "green environment ready".into();
    let then = match option(event, "switchoverMode").as_deref() {
        Some("manual") => {
            "The workflow now waits for your approval (see the next message).".to_owned()
        }
        Some("window") => format!("Switchover is scheduled {}.", switchover_plan(event)),
        _ => "Switchover follows now.".to_owned(),
    };
    m.summary = format!("Green is in sync with blue and ready for switchover. Production still runs on blue. {then}");
    if let Some(green) = green_name(event, poll.as_ref()) {
        m.facts.push(("Green".into(), green));
    }
    if let Some(p) = &poll {
        m.facts.push(("Status".into(), p.status.to_string()));
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
    if super::approval::is_approval_mode(event) {
        match event.detail.get("approval") {
            Some(_) => super::approval::answered(event, m),
            None => super::approval::ask(event, m),
        }
        return;
    }
    let poll: Option<poll_status::Status> = event.detail.get("greenPoll").and_then(answer);
    m.headline = "green ready: approve the switchover".into();
    m.summary = format!(
        "Green is ready and in sync. Production still runs on blue, and nothing changes until you continue. Switchover drops connections briefly (usually under a minute); RDS rolls back if it takes more than {} s.",
        switchover_timeout(event)
    );
    let start = start_execution_command(event);
    m.next_steps = vec![
        format!("To switch over, start a new execution of this state machine with the same input and \"action\": \"switchover\" (below): {start} --input file://switchover.json"),
        "After switchover old blue is deleted when the grace period ends; if deleteOldBlue is false, delete it later with the same input and \"action\": \"cleanup\".".into(),
        "To drop green without switching over, use the same input with \"action\": \"abandon\"; blue is untouched.".into(),
    ];
    if let Some(input) = input_with_action(&event.request, "switchover") {
        m.details = Some(Details {
            title: "switchover.json (the input for the switchover execution)".into(),
            body: input,
        });
    }
    if let Some(green) = green_name(event, poll.as_ref()) {
        m.facts.push(("Green".into(), green));
    }
}

fn snapshot_taken(event: &Event, m: &mut Message) {
    let snapshot: Option<switchover::Snapshot> = answer(&event.detail);
    match snapshot {
        Some(switchover::Snapshot {
            snapshot_id: Some(id),
            ..
        }) if before_execution(event.record.snapshot_created.as_deref(), event) == Some(true) => {
            let at = event.record.snapshot_created.clone().unwrap_or_default();
            restage(m, "snapshot-already-taken");
            m.headline = format!("blue snapshot {id} already taken at {at}, nothing taken now");
            m.summary = format!(
                "Snapshot {id} of blue was taken at {at} (SnapshotCreateTime, read from AWS) by an earlier execution of this request, before this one started: this execution took no snapshot. It is the restore point if the upgrade must be undone; it holds blue's data as of {at}, not of this switchover."
            );
            m.facts.push(("Snapshot".into(), id));
            m.facts.push(("Taken at".into(), at));
        }
        Some(switchover::Snapshot {
            snapshot_id: Some(id),
            snapshot_status,
            ..
        }) => {
            m.headline = format!("blue snapshot {id} taken");
            m.summary = format!(
                "Snapshot {id} of blue ({}) was taken right before switchover: it is the restore point if the upgrade must be undone.",
                snapshot_status.unwrap_or_else(|| "available".into())
            );
            m.facts.push(("Snapshot".into(), id));
        }
        Some(skipped) => {
            m.headline = "blue snapshot skipped".into();
            m.summary = format!(
                "No snapshot of blue was taken before switchover: {}.",
                skipped
                    .skipped
                    .unwrap_or_else(|| "the step gave no reason".into())
            );
        }
        None => {
            m.headline = "blue snapshot: no answer".into();
            m.summary = "The snapshot step's answer did not reach this message; check the execution's history before relying on a snapshot.".into();
        }
    }
}

fn switchover_started(event: &Event, m: &mut Message) {
    let timeout = switchover_timeout(event);
    let answer: Option<switchover::Switchover> = answer(&event.detail);
    if switched_earlier(event) {
        already_switched(event, m);
        return;
    }
    // RDS started it after this execution did: this execution's request (a retried call
    // answers `already-switching`), not an earlier one.
    let started_here =
        before_execution(event.record.switchover_started.as_deref(), event) == Some(false);
    let earlier = match answer.as_ref().map(|a| a.action) {
        Some(switchover::SwitchoverAction::SwitchoverRequested) => false,
        Some(_) | None => !started_here,
    };
    if earlier {
        m.headline = "switchover under way".into();
        m.summary = format!(
            "A switchover of {} had already started{} (an earlier execution, or a person): no second one is requested, and this execution follows it to the end.{}",
            m.database(),
            event.record.switchover_started.as_deref().map(|t| format!(" at {t}")).unwrap_or_default(),
            answer.as_ref().map(|a| format!(" {}.", a.detail.trim_end_matches('.'))).unwrap_or_default()
        );
    } else {
        m.headline = "switchover started".into();
        m.summary = format!(
            "RDS is switching production from blue to green. Writes stop briefly (usually under a minute) and connections drop; clients reconnect to the same endpoints. If it takes more than {timeout} s, RDS rolls back and blue stays production."
        );
    }
    m.facts
        .push(("Switchover timeout".into(), format!("{timeout} s")));
}

/// One message for a switchover found done: when (RDS-EVENT-0248, read from AWS), and that
/// nothing was switched now.
fn already_switched(event: &Event, m: &mut Message) {
    let at = event.record.switchover_completed.as_deref();
    restage(m, "already-switched-over");
    m.headline = format!(
        "already switched over at {}, nothing switched now",
        at.unwrap_or("an earlier time")
    );
    let when = match (at, event.record.read) {
        (Some(t), _) => format!(" at {t} (RDS-EVENT-0248 \"Switchover completed\", read from AWS)"),
        (None, true) => " more than 14 days ago (RDS keeps its events 14 days)".to_owned(),
        (None, false) => {
            " (when could not be read from AWS; the deployment's status says it)".to_owned()
        }
    };
    m.summary = format!(
        "{} had already switched over to green{when}: this execution made no switchover call and switched nothing. It goes on from there: production is verified, and old blue is handled as the input says.",
        m.database()
    );
    if let Some(t) = at {
        m.facts.push(("Switched over at".into(), t.to_owned()));
    }
}

fn switchover_completed(event: &Event, m: &mut Message) {
    let poll: Option<poll_status::Status> = answer(&event.detail);
    m.headline = "switchover completed".into();
    m.summary = "Production now runs on green under the original names and endpoints. Old blue is kept, renamed with an -old suffix, until cleanup. Verification follows, with how long the switchover took by RDS's events.".into();
    if let Some(p) = poll {
        m.facts.push(("Status".into(), p.status.to_string()));
        m.facts.push((
            "Old blue".into(),
            arn::name_of(&p.deployment.source_arn).to_owned(),
        ));
    }
}

/// How long the switchover took, by RDS's switchover events (0247 to 0248).
fn switchover_facts(verified: &poll_status::Verified, m: &mut Message) {
    match &verified.switchover {
        Some(t) => {
            m.facts
                .push(("Switchover took".into(), human_seconds(t.duration_seconds)));
            m.facts.push((
                "Switchover".into(),
                format!("{} to {}", t.started_at, t.completed_at),
            ));
        }
        None => m.facts.push((
            "Switchover took".into(),
            "unknown (RDS recorded no switchover events)".into(),
        )),
    }
}

fn verified(event: &Event, m: &mut Message) {
    let Some(v) = answer::<poll_status::Verified>(&event.detail) else {
        m.headline = "production verified".into();
        m.summary = format!("{} was verified after switchover.", m.database());
        return;
    };
    let version = &v.production.engine_version;
    m.headline = format!("production verified on {version}");
    m.summary =
        format!(
        "Checked after switchover: {} is {} and runs {version}{}. Old blue ({}) is still there.",
        v.production.identifier,
        v.production.status,
        v.switchover
            .as_ref()
            .map(|t| format!("; the switchover took {}", human_seconds(t.duration_seconds)))
            .unwrap_or_default(),
        v.old_blue.identifier
    );
    m.facts.push(("Production version".into(), version.clone()));
    switchover_facts(&v, m);
    m.facts
        .push(("Old blue".into(), v.old_blue.identifier.clone()));
}

fn cleanup_scheduled(event: &Event, m: &mut Message, now: SystemTime) {
    let verified: Option<poll_status::Verified> = event.detail.get("verify").and_then(answer);
    let old = verified
        .as_ref()
        .map(|v| v.old_blue.identifier.clone())
        .unwrap_or_else(|| "old blue".into());
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
        .unwrap_or(DEFAULT_GRACE_PERIOD_SECONDS.into());
    // The grace period's Wait starts right after this notification, when the state machine
    // entered it (`$$.State.EnteredTime`).
    let from = text_at(&event.detail, &["scheduledAt"])
        .and_then(|t| parse_rfc3339(&t))
        .unwrap_or(now);
    let at = rfc3339(from + Duration::from_secs(grace));
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
    if let Some(v) = verified {
        m.facts.push(("Old blue".into(), v.old_blue.identifier));
    }
}

/// Old blue's name: the source of the deployment as delete-old re-read it after switchover.
fn old_blue_of(cleanup: &delete_old::Answer) -> Option<String> {
    cleanup
        .deployment
        .as_ref()
        .map(|d| arn::name_of(&d.reference.source_arn).to_owned())
        .filter(|n| arn::old_suffix(n).is_some())
}

fn old_blue_deleted(event: &Event, m: &mut Message) {
    let Some(cleanup) = answer::<delete_old::Answer>(&event.detail) else {
        m.headline = "old blue deleted".into();
        m.summary = "delete-old reported old blue deleted; its answer did not reach this message (check the execution's history for the final snapshot).".into();
        return;
    };
    let old = old_blue_of(&cleanup).unwrap_or_else(|| "old blue".into());
    if cleanup.deleted.is_empty() {
        // The finishing call found everything gone: the deletion was an earlier execution's.
        restage(m, "old-blue-already-deleted");
        m.headline = "old blue already deleted, nothing deleted now".into();
        m.summary = format!(
            "Checked now: {}. This execution deleted nothing.",
            cleanup.detail.trim_end_matches('.')
        );
        m.facts.push(("Old blue".into(), format!("{old} (gone)")));
        return;
    }
    m.headline = match &cleanup.final_snapshot_id {
        Some(s) => format!("old blue deleted (final snapshot {s})"),
        None => "old blue deleted (no final snapshot: options.finalSnapshot is false)".into(),
    };
    m.summary = format!(
        "Deleted {old}{}.{}",
        cleanup
            .deployment
            .as_ref()
            .map(|d| format!(", then the Blue/Green deployment {}", d.reference.id))
            .unwrap_or_default(),
        cleanup.final_snapshot_id.as_deref().map(|s| format!(" Final snapshot {s} keeps its data; delete the snapshot when you no longer need it.")).unwrap_or_default()
    );
    m.facts.push(("Old blue".into(), old));
    if let Some(s) = cleanup.final_snapshot_id {
        m.facts.push(("Final snapshot".into(), s));
    }
}

fn done(event: &Event, m: &mut Message) {
    let action = event.action();
    let d = &event.detail;
    let snapshot: Option<switchover::Snapshot> = d.get("snapshot").and_then(answer);
    let verified: Option<poll_status::Verified> = d.get("verify").and_then(answer);
    let cleanup: Option<delete_old::Answer> = d.get("cleanup").and_then(answer);
    m.headline = match action.as_str() {
        "upgrade" => "upgrade complete".into(),
        "dry-run" => "dry run complete".into(),
        other => format!("{other} complete"),
    };
    let version = verified
        .as_ref()
        .map(|v| v.production.engine_version.clone())
        .or_else(|| option(event, "targetEngineVersion"));
    let old_kept = cleanup.is_none() || option(event, "deleteOldBlue").as_deref() == Some("false");
    m.summary = match action.as_str() {
        "upgrade" | "switchover" => format!(
            "The Blue/Green workflow of {} finished: production runs on green{}.{}",
            m.database(),
            version
                .as_deref()
                .map(|v| format!(" ({v})"))
                .unwrap_or_default(),
            if old_kept {
                " Old blue is kept; run \"action\": \"cleanup\" when ready."
            } else {
                " Old blue is deleted."
            }
        ),
        "cleanup" => "Old blue is gone; only the final snapshot (if any) remains.".into(),
        "abandon" => "Green is gone; blue serves production, unchanged.".into(),
        _ => "The execution finished.".into(),
    };
    if let Some(v) = &verified {
        m.facts.push((
            "Production version".into(),
            v.production.engine_version.clone(),
        ));
        switchover_facts(v, m);
    }
    if let Some(id) = snapshot.and_then(|s| s.snapshot_id) {
        m.facts.push(("Snapshot before switchover".into(), id));
    }
    match &cleanup {
        Some(c) => {
            m.facts.push((
                "Old blue".into(),
                format!(
                    "{} deleted",
                    old_blue_of(c).unwrap_or_else(|| "old blue".into())
                ),
            ));
            if let Some(s) = &c.final_snapshot_id {
                m.facts.push(("Final snapshot".into(), s.clone()));
            }
        }
        None => {
            if let Some(v) = &verified {
                m.facts
                    .push(("Old blue".into(), format!("{} kept", v.old_blue.identifier)));
            }
        }
    }
}

fn abandoned(event: &Event, m: &mut Message) {
    let abandon: Option<delete_old::Answer> = answer(&event.detail);
    m.headline = "abandoned: green deleted, blue untouched".into();
    m.summary = format!(
        "The Blue/Green deployment{} and green were removed. Blue still serves production, unchanged.",
        event.deployment_id().map(|d| format!(" {d}")).unwrap_or_default()
    );
    if let Some(a) = abandon.filter(|a| !a.deleted.is_empty()) {
        m.facts.push(("Deleted".into(), a.deleted.join(", ")));
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

/// The CLI command that starts an execution of the machine this event came from (in its
/// Region), for a message to quote before `--input`.
pub(super) fn start_execution_command(event: &Event) -> String {
    let machine = event
        .execution
        .state_machine_arn()
        .unwrap_or_else(|| "<state machine ARN>".into());
    let region = event
        .execution
        .region()
        .map(|r| format!(" --region {r}"))
        .unwrap_or_default();
    format!("aws stepfunctions start-execution --state-machine-arn {machine}{region}")
}
