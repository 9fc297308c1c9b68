//! The fleet's own messages: when it starts, after each wave, and at its end (or when it cannot
//! run at all). Per-database lines are trimmed to what chat and mail show well; the full
//! report is in S3 and the message says where.

use super::event::{Outcome, TargetFacts};
use super::format::truncate;
use super::interaction::button::ButtonValue;
use super::links::{self, Link};
use super::message::{Details, Message};
use crate::fleet::outcome::{counts_line, Outcome as DatabaseOutcome};
use crate::fleet::plan::Summary;

/// Database lines a message lists before "and N more".
pub const MAX_LINES: usize = 20;
/// Child execution links a message carries at most.
const MAX_LINKS: usize = 10;

fn base(stage: &str, fleet: &str, outcome: Outcome, execution_arn: Option<&str>) -> Message {
    Message {
        stage: stage.to_owned(),
        outcome,
        target: TargetFacts {
            identifier: Some(format!("fleet {fleet}")),
            ..TargetFacts::default()
        },
        headline: String::new(),
        summary: String::new(),
        facts: Vec::new(),
        details: None,
        next_steps: Vec::new(),
        links: execution_arn
            .and_then(links::execution)
            .map(|l| Link {
                label: "Fleet execution in Step Functions".into(),
                ..l
            })
            .into_iter()
            .collect(),
        error: None,
        execution_arn: execution_arn.map(str::to_owned),
        buttons: None,
    }
}

fn summary_facts(s: &Summary) -> Vec<(String, String)> {
    let mut facts = vec![
        ("Action".into(), s.action.clone()),
        ("Databases".into(), s.database_count.to_string()),
        ("Waves".into(), s.wave_count.to_string()),
        (
            "Concurrency".into(),
            format!(
                "{} at once, {} per account and Region",
                s.max_concurrency, s.per_account_region
            ),
        ),
        (
            "Tolerated failures".into(),
            format!("{} per wave", s.tolerated_failures.describe()),
        ),
    ];
    if let Some(m) = &s.manifest {
        facts.push((
            "Manifest".into(),
            format!(
                "s3://{}/{} (version {}, ETag {})",
                m.bucket,
                m.key,
                m.version_id.as_deref().unwrap_or("none"),
                m.etag.as_deref().unwrap_or("none")
            ),
        ));
    }
    facts
}

/// The fleet starts.
pub fn started(s: &Summary, execution_arn: Option<&str>) -> Message {
    let mut m = base("fleet-started", &s.fleet, Outcome::Info, execution_arn);
    m.headline = format!(
        "{} of {} databases started, in {} waves",
        s.action, s.database_count, s.wave_count
    );
    m.summary = format!(
        "The fleet runs its waves in order; each database is its own execution of the per-database workflow. A wave with more than {} failed databases stops the fleet before the next wave.",
        s.tolerated_failures.describe()
    );
    m.facts = summary_facts(s);
    if !s.skipped.is_empty() {
        m.details = Some(Details {
            title: format!("Passed over ({})", s.skipped_count),
            body: lines(
                s.skipped
                    .iter()
                    .map(|k| format!("{}: {}", k.database, k.reason)),
            ),
        });
    }
    m
}

/// A wave ended; `stop` says the fleet stops here.
pub fn wave(
    s: &Summary,
    wave: u32,
    outcomes: &[DatabaseOutcome],
    stop: bool,
    execution_arn: Option<&str>,
) -> Message {
    let failed: Vec<&DatabaseOutcome> = outcomes.iter().filter(|o| o.status.is_failure()).collect();
    let outcome = match (stop, failed.is_empty()) {
        (true, _) => Outcome::Failure,
        (false, false) => Outcome::Warning,
        (false, true) => Outcome::Success,
    };
    let mut m = base("fleet-wave", &s.fleet, outcome, execution_arn);
    m.headline = format!("wave {wave} of {}: {}", s.wave_count, counts_line(outcomes));
    m.summary = if stop {
        format!(
            "{} databases failed in wave {wave}, more than the {} tolerated: the fleet stops, and no later wave starts.",
            failed.len(),
            s.tolerated_failures.describe()
        )
    } else if failed.is_empty() {
        format!("Wave {wave} finished with no failure.")
    } else {
        format!(
            "{} databases failed in wave {wave}, within the {} tolerated: the fleet goes on.",
            failed.len(),
            s.tolerated_failures.describe()
        )
    };
    m.details = Some(Details {
        title: format!("Wave {wave}"),
        body: lines(outcomes.iter().map(line)),
    });
    m.links.extend(child_links(&failed));
    if stop {
        m.error = Some("FleetStopped".into());
        m.next_steps = vec![
            "Open each failed database's execution (links below) and fix what it names.".into(),
            "Start the fleet again under a new name with the failed and the not-started databases."
                .into(),
        ];
    }
    m
}

/// The fleet paused after `wave` (`pauseAfterWave`): the wave's databases, where the report
/// is, and the exact input that goes on with the next wave.
pub fn paused(
    s: &Summary,
    wave: u32,
    all: &[DatabaseOutcome],
    report: &str,
    resume_input: &str,
    execution_arn: Option<&str>,
) -> Message {
    let in_wave: Vec<&DatabaseOutcome> = all.iter().filter(|o| o.wave == wave).collect();
    let failed: Vec<&DatabaseOutcome> = in_wave
        .iter()
        .copied()
        .filter(|o| o.status.is_failure())
        .collect();
    let mut m = base(
        "fleet-paused",
        &s.fleet,
        Outcome::ActionNeeded,
        execution_arn,
    );
    let wave_outcomes: Vec<DatabaseOutcome> = in_wave.iter().map(|o| (*o).clone()).collect();
    m.headline = format!(
        "{} paused after wave {wave} of {}: {}",
        s.action,
        s.wave_count,
        counts_line(&wave_outcomes)
    );
    m.summary = "The fleet paused after this wave, as its input asks (waves.pauseAfterWave). Check the wave, then start the fleet again with exactly the input below: waves already run are found (nothing starts twice) and the next wave runs.".into();
    m.facts = summary_facts(s);
    m.facts.push(("Full report".into(), report.to_owned()));
    m.facts
        .push(("Input to go on".into(), resume_input.to_owned()));
    m.details = Some(Details {
        title: format!("Wave {wave}"),
        body: lines(in_wave.iter().map(|o| line(o))),
    });
    m.links.extend(child_links(&failed));
    m.next_steps = vec![
        "Check the wave's databases (the report lists each with its execution).".into(),
        format!("Go on: start the fleet state machine again with this input: {resume_input}"),
    ];
    m
}

/// The fleet waits between waves (`approveBetweenWaves`): the wave was told by the judge;
/// this says how to approve or reject the next one (Slack's buttons, bound to this fleet's
/// wave, or an execution), until when, and what the deadline does.
pub fn approval(
    s: &Summary,
    wave: u32,
    until: &str,
    state_machine_arn: &str,
    execution_arn: Option<&str>,
) -> Message {
    let mut m = base(
        "fleet-approval",
        &s.fleet,
        Outcome::ActionNeeded,
        execution_arn,
    );
    // Bound to this execution's question (approval.execution) when its ARN is known.
    let bound = execution_arn
        .map(|arn| format!(", \"execution\": \"{arn}\""))
        .unwrap_or_default();
    let answer = |action: &str| {
        format!(
            "{{\"action\": \"{action}\", \"fleet\": \"{}\", \"approval\": {{\"by\": \"<you>\"{bound}}}}}",
            s.fleet
        )
    };
    m.headline = format!(
        "{} waits for approval after wave {wave} of {}",
        s.action, s.wave_count
    );
    m.summary = format!(
        "Wave {wave} is done (its message lists each database). The next wave starts only when someone approves, until {until} (UTC). Reject, or no answer by then, and no later wave starts: the fleet ends with its report, and nothing already done is undone."
    );
    m.facts = summary_facts(s);
    m.facts.push(("Approve until".into(), until.to_owned()));
    m.facts.push(("Approve".into(), answer("approve")));
    m.facts.push(("Reject".into(), answer("reject")));
    m.buttons = ButtonValue::for_fleet(&s.fleet, execution_arn);
    let buttons = if m.buttons.is_some() {
        "Slack's Approve button, or "
    } else {
        ""
    };
    m.next_steps = vec![
        format!(
            "Approve: {buttons}aws stepfunctions start-execution --state-machine-arn {state_machine_arn} --input '{}'",
            answer("approve")
        ),
        format!(
            "Reject: aws stepfunctions start-execution --state-machine-arn {state_machine_arn} --input '{}'",
            answer("reject")
        ),
    ];
    m
}

/// The fleet stopped between waves without a failure: a person rejected, or the approval's
/// deadline passed. Said on the end message `finished` made.
pub fn halted(m: &mut Message, error: &str, cause: &str) {
    m.headline = m.headline.replacen("stopped", "stopped between waves", 1);
    m.summary = format!("{cause} Later waves were not started; nothing already done is undone.");
    m.error = Some(error.to_owned());
    if error == "FleetRejected" {
        m.outcome = Outcome::Info;
        m.next_steps.clear();
    }
}

/// The fleet's end: every database's outcome, and where the full report is.
pub fn finished(
    s: &Summary,
    all: &[DatabaseOutcome],
    stopped: bool,
    report: &str,
    execution_arn: Option<&str>,
) -> Message {
    let failed: Vec<&DatabaseOutcome> = all.iter().filter(|o| o.status.is_failure()).collect();
    let blocked = all
        .iter()
        .filter(|o| o.status == crate::fleet::outcome::Status::Blocked)
        .count();
    let outcome = if stopped || !failed.is_empty() {
        Outcome::Failure
    } else if blocked > 0 {
        Outcome::ActionNeeded
    } else {
        Outcome::Success
    };
    let mut m = base("fleet-finished", &s.fleet, outcome, execution_arn);
    m.headline = format!(
        "{} {}: {}",
        s.action,
        if stopped { "stopped" } else { "finished" },
        counts_line(all)
    );
    m.summary = match (stopped, failed.len(), blocked) {
        (true, _, _) => "The fleet stopped after a wave over its failure tolerance; later waves were not started.".to_owned(),
        (false, 0, 0) => "Every database of the fleet is done.".to_owned(),
        (false, 0, b) => format!("The dry run found blockers on {b} databases: fix them before the upgrade."),
        (false, f, _) => format!("{f} databases failed; the others are done."),
    };
    m.facts = summary_facts(s);
    m.facts.push(("Full report".into(), report.to_owned()));
    m.details = Some(Details {
        title: "Databases".into(),
        body: lines(all.iter().map(line)),
    });
    m.links.extend(child_links(&failed));
    if stopped {
        m.error = Some("FleetStopped".into());
    } else if !failed.is_empty() {
        m.error = Some("FleetIncomplete".into());
    }
    if !failed.is_empty() || stopped {
        m.next_steps = vec![
            "Open each failed database's execution and fix what it names (its own failure message says what is left running).".into(),
            format!("Retry them with a new fleet name (the report lists them: {report})."),
        ];
    }
    m
}

/// The fleet could not run (a bad input, a manifest that cannot be read, an unexpected error).
pub fn failed(fleet: &str, error: &str, cause: &str, execution_arn: Option<&str>) -> Message {
    let mut m = base("fleet-failed", fleet, Outcome::Failure, execution_arn);
    m.headline = format!("fleet failed: {error}");
    m.summary = truncate(cause, 2_000);
    m.error = Some(error.to_owned());
    m.next_steps = vec![
        "Fix what the error names; nothing was started for a database the fleet did not reach."
            .into(),
    ];
    m
}

/// The fleet ended from outside (stopped, timed out): what its children do, how to go on.
pub fn ended(fleet: &str, error: &str, cause: &str, execution_arn: Option<&str>) -> Message {
    let mut m = failed(fleet, error, cause, execution_arn);
    m.headline = format!("fleet ended: {error}");
    m.next_steps = vec![
        "Start the fleet again with the same input (same fleet name and runKey) to go on: databases already done are found and not run again, running ones are joined.".into(),
    ];
    m
}

/// One database's line: `account/Region/identifier: failed (DeploymentFailed: ...)`.
fn line(o: &DatabaseOutcome) -> String {
    let mut text = format!("{}: {}", o.database, o.status.name());
    if let Some(ending) = &o.ending {
        text.push_str(&format!(" ({ending})"));
    }
    match (&o.error, &o.cause) {
        (Some(e), Some(c)) => text.push_str(&format!(" - {e}: {c}")),
        (Some(e), None) => text.push_str(&format!(" - {e}")),
        (None, Some(c)) if o.status.is_failure() => text.push_str(&format!(" - {c}")),
        _ => {}
    }
    if !o.blockers.is_empty() {
        text.push_str(&format!(" - blockers: {}", o.blockers.join("; ")));
    }
    truncate(&text, 300)
}

/// At most [`MAX_LINES`] lines, then how many more.
fn lines(all: impl Iterator<Item = String>) -> String {
    let all: Vec<String> = all.collect();
    let mut out: Vec<String> = all.iter().take(MAX_LINES).cloned().collect();
    if all.len() > MAX_LINES {
        out.push(format!(
            "... and {} more (the full report lists every database)",
            all.len() - MAX_LINES
        ));
    }
    out.join("\n")
}

fn child_links(failed: &[&DatabaseOutcome]) -> Vec<Link> {
    failed
        .iter()
        .filter_map(|o| {
            let link = links::execution(o.execution_arn.as_deref()?)?;
            Some(Link {
                label: format!("{} execution", o.database),
                url: link.url,
            })
        })
        .take(MAX_LINKS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::outcome::Status;

    fn summary() -> Summary {
        let r = crate::fleet::request::FleetRequest::from_value(serde_json::json!({"fleet": "dec", "targets": [{"region": "us-east-1", "identifier": "a", "engine": "mysql", "wave": 2}, {"region": "us-east-1", "identifier": "b", "engine": "mysql"}], "waves": {"maxConcurrency": 2, "perAccountRegion": 1}})).unwrap();
        let targets = r
            .targets
            .clone()
            .unwrap()
            .into_iter()
            .map(|t| crate::fleet::plan::Sourced::new(t, "t".into()))
            .collect();
        let mut s = crate::fleet::plan::build(&r, targets, vec![], "b", "p")
            .unwrap()
            .summary;
        s.database_count = 30;
        s
    }

    fn outcome(i: usize, status: Status) -> DatabaseOutcome {
        DatabaseOutcome {
            database: format!("111111111111/us-east-1/db{i}"),
            wave: 1,
            name: format!("n{i}"),
            status,
            execution_arn: Some(format!(
                "arn:aws:states:us-east-1:123456789012:execution:bg:n{i}"
            )),
            ending: None,
            error: status.is_failure().then(|| "DeploymentFailed".to_owned()),
            cause: None,
            blockers: vec![],
            start_date: None,
            stop_date: None,
            engine_version: None,
            support: Default::default(),
            figures: None,
        }
    }

    #[test]
    fn a_wave_over_tolerance_says_the_fleet_stops_and_links_the_failures() {
        let outcomes = vec![outcome(1, Status::Succeeded), outcome(2, Status::Failed)];
        let m = wave(
            &summary(),
            1,
            &outcomes,
            true,
            Some("arn:aws:states:us-east-1:123456789012:execution:fleet:f1"),
        );
        assert_eq!(m.outcome, Outcome::Failure);
        assert_eq!(m.headline, "wave 1 of 2: 1 succeeded, 1 failed");
        assert!(m.summary.contains("the fleet stops"));
        assert_eq!(m.error.as_deref(), Some("FleetStopped"));
        assert!(m
            .links
            .iter()
            .any(|l| l.label == "111111111111/us-east-1/db2 execution"));
        assert!(!m.links.iter().any(|l| l.label.contains("db1")));
    }

    #[test]
    fn the_question_between_waves_carries_buttons_bound_to_the_fleet_s_wave() {
        let arn = "arn:aws:states:us-east-1:123456789012:execution:fleet:f1";
        let machine = "arn:aws:states:us-east-1:123456789012:stateMachine:fleet";
        let m = approval(&summary(), 1, "2026-12-08T06:00:00Z", machine, Some(arn));
        assert_eq!(m.outcome, Outcome::ActionNeeded);
        let value = m.buttons.clone().expect("buttons");
        assert_eq!(
            value.question,
            crate::notify::interaction::button::Question::Wave {
                fleet: "dec".into()
            }
        );
        assert_eq!(value.execution, arn);
        assert!(
            m.next_steps[0].starts_with("Approve: Slack's Approve button, or aws stepfunctions"),
            "{:?}",
            m.next_steps
        );
        assert!(m.next_steps[1].contains(r#""action": "reject", "fleet": "dec""#));
        let blocks = crate::notify::slack_blocks::payload(&m, true);
        assert_eq!(
            blocks["blocks"][1]["elements"][0]["action_id"],
            "bluegreen-approve"
        );
        // No execution to name: no buttons, the text says how.
        let bare = approval(&summary(), 1, "2026-12-08T06:00:00Z", machine, None);
        assert!(bare.buttons.is_none());
        assert!(bare.next_steps[0].starts_with("Approve: aws stepfunctions"));
    }

    #[test]
    fn long_lists_are_trimmed_with_the_report_named() {
        let all: Vec<DatabaseOutcome> = (0..30).map(|i| outcome(i, Status::Failed)).collect();
        let m = finished(&summary(), &all, false, "s3://b/k.json", None);
        let body = &m.details.as_ref().unwrap().body;
        assert_eq!(body.lines().count(), MAX_LINES + 1);
        assert!(body.ends_with("... and 10 more (the full report lists every database)"));
        assert!(m
            .facts
            .contains(&("Full report".into(), "s3://b/k.json".into())));
        assert_eq!(m.links.len(), MAX_LINKS);
        assert_eq!(m.error.as_deref(), Some("FleetIncomplete"));
    }
}
