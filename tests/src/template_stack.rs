//! The product as `sam deploy` deploys it: template.yaml transformed by AWS's SAM translator
//! and created as a CloudFormation stack on a moto server of its own
//! (`tests/tools/template_stack.py`), so every rule, target, permission, role and schedule the
//! template declares, SAM's generated `Events` rules included, exists as the template says,
//! and events reach the targets through those rules (moto's EventBridge with
//! `tests/tools/moto_patches/sfn_status_events.py`).
//!
//! The deployed functions (named by the template, e.g. `e2e-template-notify`) are served by the
//! workspace binaries with the environment the template gives them (read back from moto's
//! Lambda), on a local Lambda of this stack's own; moto's engine and EventBridge reach them
//! through `E2E_LAMBDA_NAMES_FILE` (deployed name -> binary).

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Instant;

use serde_json::Value;
use tokio::sync::OnceCell;

use crate::lambda::{free_port, local_aws_vars, CargoLambda, FunctionHost};
use crate::moto::{python, root, Moto};
use crate::stack::WAIT_SCALE;
use crate::stepfunctions::StepFunctions;

/// The stack name (`AWS::StackName`) of the deployed template.
pub const STACK_NAME: &str = "e2e-template";

/// moto with template.yaml deployed, and the functions it declares served locally.
#[derive(Debug)]
pub struct TemplateStack {
    pub moto: Moto,
    pub lambda: CargoLambda,
    /// What `tests/tools/template_stack.py` printed: `stack`, `missing`, `resources`,
    /// `functions`, `stateMachines`, `rules`, `schedules`, `outputs`.
    pub deployed: Value,
    /// How long the start took (deploy, servers, warm-up).
    pub started_in: std::time::Duration,
}

/// The template stack of this test binary, deployed on first use.
pub async fn template_stack() -> &'static TemplateStack {
    static STACK: OnceCell<TemplateStack> = OnceCell::const_new();
    STACK.get_or_init(TemplateStack::deploy).await
}

impl TemplateStack {
    /// Starts moto, deploys template.yaml with its default parameters, and serves its
    /// functions.
    pub async fn deploy() -> TemplateStack {
        let began = Instant::now();
        tokio::task::spawn_blocking(crate::lambda::build_functions)
            .await
            .expect("build the functions");
        let lambda_port = free_port();
        let lambda_endpoint = format!("http://127.0.0.1:{lambda_port}");
        let names_file = std::env::temp_dir().join(format!(
            "e2e-template-functions-{}-{lambda_port}.json",
            std::process::id()
        ));
        let scale = std::env::var("E2E_WAIT_SCALE").unwrap_or_else(|_| WAIT_SCALE.to_owned());
        let moto = Moto::start(&[
            ("E2E_LAMBDA_ENDPOINT", lambda_endpoint.as_str()),
            ("E2E_WAIT_SCALE", scale.as_str()),
            ("E2E_LAMBDA_NAMES_FILE", &names_file.to_string_lossy()),
        ]);
        let endpoint = moto.endpoint.clone();
        let deployed = tokio::task::spawn_blocking(move || deploy_template(&endpoint))
            .await
            .expect("deploy the template");
        let hosts = function_hosts(&deployed, &moto.endpoint);
        let names: BTreeMap<&str, &str> = deployed["functions"]
            .as_object()
            .expect("functions")
            .values()
            .map(|f| (f["name"].as_str().unwrap(), f["binary"].as_str().unwrap()))
            .collect();
        std::fs::write(&names_file, serde_json::to_vec(&names).unwrap())
            .expect("write the function names");
        let lambda = tokio::task::spawn_blocking(move || CargoLambda::serve(lambda_port, &hosts))
            .await
            .expect("serve the functions");
        lambda.warm_up().await;
        TemplateStack {
            moto,
            lambda,
            deployed,
            started_in: began.elapsed(),
        }
    }

    /// The ARN of the state machine the template declares as `logical_id`.
    pub fn state_machine(&self, logical_id: &str) -> &str {
        self.deployed["stateMachines"][logical_id]
            .as_str()
            .unwrap_or_else(|| panic!("no state machine `{logical_id}` in the deployed stack"))
    }

    /// A stack output (e.g. `LockTableName`, `TopicArn`).
    pub fn output(&self, key: &str) -> &str {
        self.deployed["outputs"][key]
            .as_str()
            .unwrap_or_else(|| panic!("no output `{key}` in the deployed stack"))
    }

    /// A Step Functions client for this stack's moto.
    pub fn sfn(&self) -> StepFunctions {
        StepFunctions::new(&self.moto.endpoint)
    }
}

/// Runs `tests/tools/template_stack.py` against moto at `endpoint`; its JSON.
fn deploy_template(endpoint: &str) -> Value {
    let output = Command::new(python())
        .arg(root().join("tests/tools/template_stack.py"))
        // AllowedAccountIds: `any` is the template's explicit opt-in (no silent default).
        .args([endpoint, STACK_NAME, "AllowedAccountIds=any"])
        .output()
        .expect("run template_stack.py");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "template_stack.py failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let deployed: Value = serde_json::from_str(stdout.trim()).expect("template_stack.py JSON");
    assert_eq!(
        deployed["stack"], "CREATE_COMPLETE",
        "the stack: {deployed}"
    );
    deployed
}

/// Each deployed function, served by its binary with the environment the template gives it,
/// plus what it needs to reach this moto.
fn function_hosts(deployed: &Value, aws_endpoint: &str) -> Vec<FunctionHost> {
    deployed["functions"]
        .as_object()
        .expect("functions")
        .values()
        .map(|f| {
            let mut env: Vec<(String, String)> = f["environment"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect();
            env.extend(local_aws_vars(aws_endpoint));
            let binary = f["binary"].as_str().expect("binary").to_owned();
            FunctionHost {
                name: binary.clone(),
                binary,
                env,
            }
        })
        .collect()
}
