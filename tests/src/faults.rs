//! Faults the moto server injects on request: what moto cannot show by itself (a slow green,
//! a failed switchover, a throttled call).
//!
//! Each fault is keyed by the production database identifier (or the deployment name) and
//! affects only requests about that database, its `-old`/`-green` relatives or its
//! deployments, so tests sharing one server stay independent. The server side is
//! `tests/tools/moto_patches/faults.py` (route `/moto-api/faults`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::moto::Moto;

/// One fault. Counts are decremented by the server as requests happen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Fault {
    /// The deployment reads PROVISIONING for `describes` DescribeBlueGreenDeployments calls,
    /// then AVAILABLE.
    Provisioning { describes: u32 },
    /// The deployment reads INVALID_CONFIGURATION with these StatusDetails until cleared.
    InvalidConfiguration { details: String },
    /// The next switchover ends in SWITCHOVER_FAILED; nothing is renamed.
    SwitchoverFailed {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        details: Option<String>,
    },
    /// The next switchover outlives its SwitchoverTimeout and is rolled back: AVAILABLE
    /// again, nothing renamed, RDS-EVENT-0249 (the members' cancel events carry `details`).
    SwitchoverRolledBack {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        details: Option<String>,
    },
    /// The next CreateBlueGreenDeployment is refused as AWS refuses it for `reason`
    /// (`source-not-supported`, `kms-key-not-accessible`).
    CreateRefused { reason: String },
    /// Green's build fails after CreateBlueGreenDeployment returned: RDS-EVENT-0245 with
    /// `reason`, the task FAILED, the deployment INVALID_CONFIGURATION.
    CreationFailed { reason: String },
    /// Green instances (or only the green counterpart of blue instance `instance`) read
    /// `status` (e.g. `storage-optimization`) for `describes` DescribeDBInstances calls.
    GreenInstanceStatus {
        status: String,
        describes: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        instance: Option<String>,
    },
    /// The database's `UpgradeRolloutOrder` (`first`, `second`, `last`), as AWS records it
    /// (tests/tools/moto_patches/rds_lifecycle.py; the fleet's rollout-order waves).
    RolloutOrder { order: String },
    /// The next answer of Lambda function `function` for the database lacks `field`: the state
    /// reading it fails with `States.Runtime`, which no Catch catches.
    AnswerWithout { function: String, field: String },
    /// The next `times` Step Functions invocations of Lambda function `function` for this
    /// database run to their end but are answered as Lambda answers a timeout
    /// (`Sandbox.Timedout`, "Task timed out after N.00 seconds", N from template.yaml).
    LambdaTimeout { function: String, times: u32 },
    /// The next SSM Automation execution whose parameters name the database ends `Failed`
    /// with `message` as its `FailureMessage` (tests/tools/moto_patches/ssm_automation.py).
    AutomationFailed { message: String },
    /// The next `times` calls of RDS action `action` (e.g. `DeleteDBCluster`) that name the
    /// key fail with AWS error code `code` (e.g. `InvalidDBClusterStateFault`).
    FailAction {
        action: String,
        code: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
        times: u32,
    },
    /// Green's emulated build lasts `seconds` AWS seconds (scaled like every wait) instead of
    /// the default 300 (tests/tools/moto_patches/rds_events.py).
    BuildSeconds { seconds: u32 },
    /// The next delivery of RDS event `event` (`RDS-EVENT-0244`) to EventBridge is lost; the
    /// event is still in DescribeEvents (RDS delivers at best effort).
    DropRdsEvent { event: String },
    /// The key's instances and clusters being deleted read `deleting` until the fault is
    /// cleared (tests/tools/moto_patches/deletions.py), then they are gone.
    HoldDeletion,
}

/// A fault as the server holds it: what is left of it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Registered {
    pub id: u64,
    pub key: String,
    #[serde(flatten)]
    pub fault: Fault,
}

impl Fault {
    /// Every green instance reads `status` for the next `describes` describes naming it.
    pub fn green_status(status: &str, describes: u32) -> Fault {
        Fault::GreenInstanceStatus {
            status: status.to_owned(),
            describes,
            instance: None,
        }
    }

    /// `code` for the next `times` calls of `action`.
    pub fn fail(action: &str, code: &str, times: u32) -> Fault {
        Fault::FailAction {
            action: action.to_owned(),
            code: code.to_owned(),
            message: None,
            times,
        }
    }
}

impl Moto {
    fn faults_url(&self) -> String {
        format!("{}/moto-api/faults", self.endpoint)
    }

    /// Registers `fault` for the database (or deployment name) `key`; returns its id.
    pub async fn inject(&self, key: &str, fault: Fault) -> u64 {
        let mut body = serde_json::to_value(&fault).expect("fault serializes");
        body["key"] = Value::from(key);
        let response = reqwest::Client::new()
            .post(self.faults_url())
            .json(&body)
            .send()
            .await
            .expect("reach moto's fault route");
        let status = response.status();
        let answer: Value = response.json().await.expect("fault route answers JSON");
        assert!(status.is_success(), "moto refused fault {body}: {answer}");
        answer["id"].as_u64().expect("fault id")
    }

    /// The faults still registered for `key` (a fault is removed once used up).
    pub async fn faults(&self, key: &str) -> Vec<Registered> {
        let all: Vec<Registered> = reqwest::get(self.faults_url())
            .await
            .expect("reach moto's fault route")
            .json()
            .await
            .expect("fault list");
        all.into_iter().filter(|f| f.key == key).collect()
    }

    /// Removes every fault of `key`; returns how many there were.
    pub async fn clear_faults(&self, key: &str) -> u64 {
        let answer: Value = reqwest::Client::new()
            .delete(self.faults_url())
            .query(&[("key", key)])
            .send()
            .await
            .expect("reach moto's fault route")
            .json()
            .await
            .expect("fault route answers JSON");
        answer["removed"].as_u64().unwrap_or_default()
    }
}
