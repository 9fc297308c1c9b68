//! What the end-to-end tests share: the product's state machine (statemachine/bluegreen.asl.json)
//! on the local stack (moto's Step Functions engine calling the real function binaries under
//! `cargo lambda watch`), one run of it, the notifications the run published, and the
//! databases it left in moto.

use std::collections::BTreeMap;
use std::time::Duration;

use bluegreen::aws::deployment::DeploymentStatus;
use e2e::moto::{unique, ACCOUNT, REGION};
use e2e::seed::{self, Received};
use e2e::stack::{stack, Stack};
use e2e::stepfunctions::{product_definition, Execution};
use serde_json::{json, Value};
use tokio::sync::OnceCell;

/// The longest a run may take with waits scaled down (the slowest, a full upgrade, takes
/// well under a minute).
const RUN_TIMEOUT: Duration = Duration::from_secs(600);

/// The product's state machine, created once per run of the end-to-end binary; with the stack
/// it runs on.
pub async fn state_machine() -> (&'static Stack, &'static str) {
    static ARN: OnceCell<String> = OnceCell::const_new();
    let stack = stack().await;
    let arn = ARN
        .get_or_init(|| async {
            crate::e2e_waits::wake_rule(stack).await;
            let definition = product_definition(&BTreeMap::new());
            // Under the name notify's APPROVAL_STATE_MACHINE_ARN gives (Slack's clicks start it).
            stack
                .sfn()
                .create_state_machine(e2e::slack::PRODUCT_STATE_MACHINE, &definition)
                .await
        })
        .await;
    (stack, arn.as_str())
}

/// The reaper looks at every lock of the table, so it would release a lock another test's
/// stopped, failed or seeded holder left for that test to read or release: the reaper's test
/// runs alone (write), the tests that leave or seed such a lock run together (read).
pub static LEFT_LOCKS: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

/// An execution input for the database `id`. A zero grace period unless `options` says
/// otherwise: the default (a day) would sleep for minutes even scaled down.
pub fn request(action: &str, id: &str, engine: &str, options: Value) -> Value {
    let mut all = json!({"gracePeriodSeconds": 0});
    all.as_object_mut()
        .unwrap()
        .extend(options.as_object().cloned().unwrap_or_default());
    json!({
        "action": action,
        "target": {"accountId": ACCOUNT, "region": REGION, "identifier": id, "engine": engine},
        "options": all,
    })
}

/// One finished execution and the notifications it published.
#[derive(Debug)]
pub struct Run {
    pub execution: Execution,
    /// (stage, outcome) of each notification about the run's database, in publish order.
    pub notifications: Vec<(String, String)>,
    /// The notifications' bodies, same order.
    pub bodies: Vec<String>,
}

impl Run {
    /// The states entered, in order.
    pub fn states(&self) -> Vec<&str> {
        self.execution.states.iter().map(String::as_str).collect()
    }

    /// The states entered, without the lock's bookkeeping (taking it, how the run ends,
    /// releasing it: tests/tests/end_to_end/e2e_lock.rs and the contract test prove those): the path of
    /// the workflow itself.
    pub fn path(&self) -> Vec<&str> {
        const LOCK: &[&str] = &[
            "Identify the database",
            "Take the lock?",
            "Take the lock",
            "Holding the lock?",
            "Release the lock",
            "How it ends",
        ];
        self.states()
            .into_iter()
            .filter(|s| !LOCK.contains(s) && !s.starts_with("End: "))
            .collect()
    }

    /// How often `state` was entered.
    pub fn entered(&self, state: &str) -> usize {
        self.execution.states.iter().filter(|s| *s == state).count()
    }

    /// The stages notified, in order.
    pub fn stages(&self) -> Vec<&str> {
        self.notifications.iter().map(|(s, _)| s.as_str()).collect()
    }

    /// The outcome of the (last) notification of `stage`.
    pub fn outcome_of(&self, stage: &str) -> Option<&str> {
        self.notifications
            .iter()
            .rev()
            .find(|(s, _)| s == stage)
            .map(|(_, o)| o.as_str())
    }

    /// The body of the (last) notification of `stage`.
    pub fn body_of(&self, stage: &str) -> &str {
        let at = self
            .notifications
            .iter()
            .rposition(|(s, _)| s == stage)
            .unwrap_or_else(|| panic!("no `{stage}` notification: {:?}", self.notifications));
        &self.bodies[at]
    }

    /// The execution's final state data (or the failure's, read from the last event).
    pub fn output(&self) -> &Value {
        self.execution.output.as_ref().unwrap_or(&Value::Null)
    }

    /// Asserts the execution succeeded, showing its error and cause when it did not.
    pub fn assert_succeeded(&self) {
        assert_eq!(
            self.execution.status, "SUCCEEDED",
            "{:?} {:?}",
            self.execution.error, self.execution.cause
        );
    }

    /// Asserts the execution failed with the step's own `error`, notified `stage` as its one
    /// failure (last), and ended through `Failed at <stage>`, `Notify failure`, `Failed`.
    pub fn assert_failed_at(&self, error: &str, stage: &str) {
        let execution = &self.execution;
        assert_eq!(execution.status, "FAILED", "{:?}", self.states());
        assert_eq!(
            execution.error.as_deref(),
            Some(error),
            "cause: {:?}",
            execution.cause
        );
        assert!(
            execution
                .cause
                .as_deref()
                .is_some_and(|c| c.contains(error)),
            "the cause is the step's own error: {:?}",
            execution.cause
        );
        let failed_at = format!("Failed at {stage}");
        assert_eq!(
            self.path()[self.path().len() - 3..],
            [failed_at.as_str(), "Notify failure", "Failed"]
        );
        assert_eq!(
            self.notifications.last(),
            Some(&(stage.to_owned(), "failure".to_owned())),
            "{:?}",
            self.notifications
        );
        assert_eq!(
            self.notifications
                .iter()
                .filter(|(_, o)| o == "failure")
                .count(),
            1
        );
        // The figures known so far: in the failed execution's cause (it has no output) and in
        // its one failure message.
        self.assert_figures_so_far();
        let body = &self.bodies[self.notifications.len() - 1];
        assert!(
            body.contains("State transitions") && body.contains("RDS calls"),
            "the failure message carries the figures: {body}"
        );
    }

    /// The execution's figures: its output's, or for a failed execution its told cause's
    /// (docs/metrics.md).
    pub fn figures(&self) -> bluegreen::metrics::Figures {
        let figures = match &self.execution.output {
            Some(output) => output["figures"].clone(),
            None => bluegreen::notify::told::Told::in_cause(self.execution.cause.as_deref())
                .and_then(|t| t.figures)
                .map(|f| serde_json::to_value(f).unwrap())
                .unwrap_or_default(),
        };
        serde_json::from_value(figures).unwrap_or_else(|e| {
            panic!(
                "figures in the output or cause ({e}): {:?} {:?}",
                self.execution.output, self.execution.cause
            )
        })
    }

    /// Asserts the execution's end carries the figures counted so far (total time, state
    /// transitions, RDS calls).
    pub fn assert_figures_so_far(&self) {
        let f = self.figures();
        assert!(
            f.total_seconds.is_some()
                && f.state_transitions.is_some_and(|t| t > 3)
                && f.rds_calls.is_some(),
            "the figures so far: {f:?}"
        );
    }

    /// Asserts `expected` were entered in this order (other states may come between).
    pub fn assert_path(&self, expected: &[&str]) {
        let states = self.states();
        let mut rest = states.iter();
        for want in expected {
            assert!(
                rest.any(|s| s == want),
                "`{want}` not entered in order {expected:?}; the run entered {states:?}"
            );
        }
    }

    /// Asserts none of `states` was entered.
    pub fn assert_never(&self, states: &[&str]) {
        for state in states {
            assert_eq!(
                self.entered(state),
                0,
                "`{state}` was entered: {:?}",
                self.states()
            );
        }
    }

    /// The `TaskFailed` errors of the run, in order.
    pub fn task_errors(&self) -> Vec<String> {
        self.execution
            .events_of("TaskFailed")
            .iter()
            .map(|e| {
                e["taskFailedEventDetails"]["error"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect()
    }
}

/// Starts a named execution of the product's state machine with `input`, waits for its end,
/// and collects the notifications about `input.target.identifier`.
pub async fn run(input: &Value) -> Run {
    let (stack, arn) = state_machine().await;
    let database = input["target"]["identifier"]
        .as_str()
        .expect("target.identifier")
        .to_owned();
    let name = unique(&format!(
        "{database}-{}",
        input["action"].as_str().unwrap_or("upgrade")
    ));
    let started = stack.sfn().start(arn, &name, input).await;
    finish(&started, input).await
}

/// Waits for the end of the started execution `arn` of `input` and collects the
/// notifications about its database.
pub async fn finish(arn: &str, input: &Value) -> Run {
    let (stack, _) = state_machine().await;
    let database = input["target"]["identifier"]
        .as_str()
        .expect("target.identifier")
        .to_owned();
    let execution = stack.sfn().wait(arn, RUN_TIMEOUT).await;
    assert_ne!(
        execution.status, "RUNNING",
        "the execution did not end within {RUN_TIMEOUT:?}: {:?}",
        execution.states
    );
    assert_version_rule_checked(input, &execution);
    let mine = notifications_about(stack, &database).await;
    Run {
        execution,
        notifications: mine
            .iter()
            .map(|m| (attribute(m, "stage"), attribute(m, "outcome")))
            .collect(),
        bodies: mine.into_iter().map(|m| m.body).collect(),
    }
}

/// A run that prechecked a target version checked it against the emulator's catalogue
/// (precheck rule `target-version-valid`) rather than reporting it not checked: end-to-end
/// tests use only versions the catalogue knows (tests/tools/moto_patches/engine_catalog.py).
fn assert_version_rule_checked(input: &Value, execution: &Execution) {
    if input["options"]["targetEngineVersion"].is_null()
        || !execution.states.iter().any(|s| s == "Dry run?")
    {
        return; // no target version, or the precheck did not answer (it failed)
    }
    let prechecked: Vec<Value> = execution
        .events
        .iter()
        .filter(|e| e["stateExitedEventDetails"]["name"] == "Precheck")
        .filter_map(|e| serde_json::from_str(e["stateExitedEventDetails"]["output"].as_str()?).ok())
        .collect();
    assert!(
        !prechecked.is_empty(),
        "the Precheck state's output is in the history"
    );
    for output in prechecked {
        let not_checked = &output["precheck"]["notChecked"];
        assert!(
            not_checked
                .as_array()
                .is_some_and(|n| n.iter().all(|n| n["id"] != "target-version-valid")),
            "the version rule was skipped (a version the catalogue does not know?): {not_checked}"
        );
    }
}

fn attribute(message: &Received, name: &str) -> String {
    message.attributes.get(name).cloned().unwrap_or_default()
}

/// The notifications about `database` published so far. Tests of one binary share the topic
/// and its queue and run in parallel: one reader at a time drains the queue into a mailbox
/// (a message being read by one is invisible to another), and each test takes only the
/// messages about its own database.
pub async fn notifications_about(stack: &Stack, database: &str) -> Vec<Received> {
    static MAILBOX: tokio::sync::Mutex<Vec<Received>> = tokio::sync::Mutex::const_new(Vec::new());
    let mut mailbox = MAILBOX.lock().await;
    mailbox.extend(seed::drain_queue(&stack.moto, &stack.queue_url).await);
    let (mine, others): (Vec<Received>, Vec<Received>) = mailbox
        .drain(..)
        .partition(|m| m.attributes.get("database").map(String::as_str) == Some(database));
    *mailbox = others;
    mine
}

/// The DB clusters whose identifier starts with `prefix`: (identifier, engine version), sorted.
/// Every page: the server holds what every end-to-end test created (more than one page).
pub async fn clusters(stack: &Stack, prefix: &str) -> Vec<(String, String)> {
    let all: Vec<_> = stack
        .moto
        .rds()
        .describe_db_clusters()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .expect("describe clusters");
    named_versions(
        all.iter()
            .map(|c| (c.db_cluster_identifier(), c.engine_version())),
        prefix,
    )
}

/// The DB instances whose identifier starts with `prefix`: (identifier, engine version), sorted.
/// Every page, as for [`clusters`].
pub async fn instances(stack: &Stack, prefix: &str) -> Vec<(String, String)> {
    let all: Vec<_> = stack
        .moto
        .rds()
        .describe_db_instances()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<_, _>>()
        .await
        .expect("describe instances");
    named_versions(
        all.iter()
            .map(|i| (i.db_instance_identifier(), i.engine_version())),
        prefix,
    )
}

/// (identifier, engine version) of the resources named for `prefix`, sorted.
fn named_versions<'a>(
    resources: impl Iterator<Item = (Option<&'a str>, Option<&'a str>)>,
    prefix: &str,
) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = resources
        .filter_map(|(id, version)| Some((id?.to_owned(), version.unwrap_or_default().to_owned())))
        .filter(|(id, _)| is_named(id, prefix))
        .collect();
    found.sort();
    found
}

/// `id` is the database `prefix` or one of its relatives (`prefix-0`, `prefix-old1`, a green
/// copy), not another test's database that happens to share the prefix (`prefix1`).
fn is_named(id: &str, prefix: &str) -> bool {
    id == prefix || id.starts_with(&format!("{prefix}-"))
}

/// Just the identifiers of (identifier, version) pairs.
pub fn ids(found: &[(String, String)]) -> Vec<&str> {
    found.iter().map(|(id, _)| id.as_str()).collect()
}

/// The Blue/Green deployments whose source or target is the database `id` (or a relative),
/// leaving out those already being deleted (AWS shows `DELETING` for a while after
/// DeleteBlueGreenDeployment; see moto_patches/delete_target.py).
pub async fn deployments(stack: &Stack, id: &str) -> Vec<bluegreen::aws::deployment::Deployment> {
    bluegreen::aws::deployment::list(&stack.moto.rds())
        .await
        .expect("list deployments")
        .into_iter()
        .filter(|d| d.status != DeploymentStatus::Deleting)
        .filter(|d| is_named(d.source_name(), id) || is_named(d.target_name(), id))
        .collect()
}

/// The cluster snapshots of `cluster` (identifiers).
pub async fn cluster_snapshots(stack: &Stack, cluster: &str) -> Vec<String> {
    let out = stack
        .moto
        .rds()
        .describe_db_cluster_snapshots()
        .db_cluster_identifier(cluster)
        .send()
        .await
        .expect("describe cluster snapshots");
    out.db_cluster_snapshots()
        .iter()
        .filter_map(|s| s.db_cluster_snapshot_identifier())
        .map(str::to_owned)
        .collect()
}

/// The DB snapshots of `instance` (identifiers).
pub async fn instance_snapshots(stack: &Stack, instance: &str) -> Vec<String> {
    let out = stack
        .moto
        .rds()
        .describe_db_snapshots()
        .db_instance_identifier(instance)
        .send()
        .await
        .expect("describe snapshots");
    out.db_snapshots()
        .iter()
        .filter_map(|s| s.db_snapshot_identifier())
        .map(str::to_owned)
        .collect()
}

// ---------------------------------------------------------------- the end-of-execution rule

/// Waits until the status rule has delivered `execution`'s end to notify and notify dropped
/// it as told by the workflow (its log says so: shared/src/steps/notify.rs); panics after 60 s.
pub async fn await_dropped_by_the_rule(stack: &Stack, execution: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let dropped = || {
        std::fs::read_to_string(&stack.lambda.log)
            .unwrap_or_default()
            .lines()
            .any(|l| l.contains(execution) && l.contains("already told by the workflow"))
    };
    while !dropped() {
        assert!(
            std::time::Instant::now() < deadline,
            "the rule never reached notify for {execution}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// template.yaml's `ExecutionEndedRule` on moto's default bus, with its target (the notify
/// function), narrowed to the execution `name` so other tests' ends are not reported twice.
/// `refs` are the template's `!Ref` names in the pattern and the ARNs they stand for. Returns
/// the pattern put.
pub async fn end_rule_for(stack: &Stack, refs: &[(&str, &str)], name: &str) -> Value {
    let mut pattern = template_event_pattern("ExecutionEndedRule", refs);
    pattern["detail"]["name"] = json!([name]);
    e2e::events::rule(
        &stack.moto,
        &stack.moto.sdk_config(REGION),
        &unique("execution-ended"),
        pattern.clone(),
        &e2e::lambda::function_arn("notify"),
    )
    .await;
    pattern
}

/// The EventPattern of template.yaml's rule `rule` as JSON, each `!Ref <name>` of `refs`
/// replaced by its ARN (the template's layout is regular: nested keys and `- item` lists).
pub fn template_event_pattern(rule: &str, refs: &[(&str, &str)]) -> Value {
    let template = std::fs::read_to_string(e2e::moto::root().join("template.yaml")).unwrap();
    let rule = template
        .split(&format!("\n  {rule}:\n"))
        .nth(1)
        .unwrap_or_else(|| panic!("{rule} in template.yaml"));
    let block: Vec<&str> = rule
        .lines()
        .skip_while(|l| l.trim() != "EventPattern:")
        .skip(1)
        .take_while(|l| l.starts_with("        "))
        .collect();
    let mut pattern = json!({});
    let mut path: Vec<(usize, String)> = Vec::new();
    for line in block {
        let indent = line.len() - line.trim_start().len();
        let text = line.trim();
        path.retain(|(i, _)| *i < indent);
        let keys: Vec<&str> = path.iter().map(|(_, k)| k.as_str()).collect();
        let mut at = &mut pattern;
        for key in &keys {
            at = &mut at[*key];
        }
        if let Some(item) = text.strip_prefix("- ") {
            let value = refs
                .iter()
                .find(|(name, _)| item.strip_prefix("!Ref ") == Some(*name))
                .map_or(item, |(_, arn)| *arn);
            if !at.is_array() {
                *at = json!([]);
            }
            at.as_array_mut().unwrap().push(json!(value));
        } else {
            let key = text.strip_suffix(':').expect("a key");
            at[key] = json!({});
            path.push((indent, key.to_owned()));
        }
    }
    pattern
}
