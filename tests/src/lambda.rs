//! The Lambda functions of the workspace, served by `cargo lambda watch` on 127.0.0.1.
//!
//! moto's Step Functions engine sends Lambda tasks here (see
//! `tests/tools/moto_patches/sfn_lambda.py`). The server runs under a small Python guard that
//! holds our end of a pipe: when this process exits however it exits, the pipe closes and the
//! guard ends the server's whole process group (the server and the function processes it
//! spawned), as `moto.rs` does for moto. Dropping a [`CargoLambda`] stops it the same way.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::moto::{root, ACCOUNT, REGION};

/// The function binaries of the workspace (function name = binary name).
pub const FUNCTIONS: [&str; 6] = [
    "precheck",
    "create",
    "poll-status",
    "switchover",
    "delete-old",
    "notify",
];

/// The guard: starts argv[1:] in a new session, waits for stdin to close, ends the session.
const GUARD: &str = r#"
import os, signal, subprocess, sys
child = subprocess.Popen(sys.argv[1:], start_new_session=True, stdin=subprocess.DEVNULL)
def stop(*_):
    try:
        os.killpg(child.pid, signal.SIGTERM)
        child.wait(timeout=5)
    except Exception:
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
while sys.stdin.buffer.read(65536):
    pass
stop()
"#;

/// A running `cargo lambda watch`.
#[derive(Debug)]
pub struct CargoLambda {
    /// `http://127.0.0.1:PORT`: POST `/2015-03-31/functions/NAME/invocations`.
    pub endpoint: String,
    /// The guard process's id.
    pub pid: u32,
    /// Where the server's output goes (read it when an invocation hangs: a compile error).
    pub log: PathBuf,
    stdin: Mutex<Option<ChildStdin>>,
    child: Mutex<Child>,
}

/// What the functions find in their environment.
#[derive(Debug, Clone)]
pub struct FunctionEnv {
    /// The local AWS every function calls (`AWS_ENDPOINT_URL`).
    pub aws_endpoint: String,
    /// `TOPIC_ARN` of the notify function.
    pub topic_arn: String,
    /// `SLACK_WEBHOOK_SECRET_ARN`; `none` disables Slack.
    pub slack_secret_arn: String,
}

/// The hub's `TARGET_EXTERNAL_ID` (template parameter `TargetExternalId`): what the member
/// accounts' roles require (member-account.yaml `ExternalId`; moto_patches/sts_trust.py).
pub const TARGET_EXTERNAL_ID: &str = "fleet-tests-external-id";

impl FunctionEnv {
    fn vars(&self) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT_URL", self.aws_endpoint.as_str()),
            ("LOCK_TABLE_NAME", crate::stepfunctions::LOCK_TABLE),
            ("AWS_REGION", REGION),
            ("AWS_DEFAULT_REGION", REGION),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("TOPIC_ARN", self.topic_arn.as_str()),
            ("SLACK_WEBHOOK_SECRET_ARN", self.slack_secret_arn.as_str()),
            ("LOCK_TABLE_NAME", crate::stepfunctions::LOCK_TABLE),
            ("TARGET_EXTERNAL_ID", TARGET_EXTERNAL_ID),
            ("RUST_LOG", "info"),
            // The explicit opt-in the template's AllowedAccountIds requires (no silent default).
            ("ALLOWED_ACCOUNT_IDS", "any"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }
}

/// A port free right now on 127.0.0.1 (for a server that takes its port as an argument).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Variables cargo sets for the test process it runs (see "Environment variables Cargo sets
/// for crates"). A cargo started from a test must not inherit them: build scripts track some
/// of them (ring's tracks `CARGO_MANIFEST_DIR`), so a build started here would rebuild ring and
/// the whole AWS SDK above it, and the next `cargo test` from a shell would rebuild them back.
const TEST_PROCESS_VARS: [&str; 8] = [
    "CARGO_MANIFEST_DIR",
    "CARGO_MANIFEST_PATH",
    "CARGO_CRATE_NAME",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_TARGET_TMPDIR",
    "CARGO_RUSTC_CURRENT_DIR",
    "OUT_DIR",
    "RUST_TEST_THREADS",
];

/// Prefixes of the same (package metadata, the paths of the package's binaries).
const TEST_PROCESS_PREFIXES: [&str; 2] = ["CARGO_PKG_", "CARGO_BIN_"];

/// `command` with the environment a cargo started from a shell in the workspace would have:
/// the test process's own cargo variables removed, and `CARGO_TARGET_DIR` set when
/// `E2E_LAMBDA_TARGET_DIR` asks for another target directory. By default the functions are
/// built in the workspace's target directory, with the same features and environment as
/// `cargo build --bin <function>` from a shell, so `scripts/test.sh` builds them once for all.
pub fn as_from_shell(command: &mut Command) -> &mut Command {
    for (key, _) in std::env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        if TEST_PROCESS_VARS.contains(&key)
            || TEST_PROCESS_PREFIXES.iter().any(|p| key.starts_with(p))
        {
            command.env_remove(key);
        }
    }
    if let Some(dir) = std::env::var_os("E2E_LAMBDA_TARGET_DIR") {
        command.env("CARGO_TARGET_DIR", dir);
    }
    command.current_dir(root())
}

/// Builds the function binaries first, as `cargo lambda watch` will run them, so a compile
/// error fails fast and clearly instead of leaving the first invocation hanging inside the
/// server. (`cargo test` does not hold the build lock while tests run, so this does not wait.)
pub fn build_functions() {
    let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    as_from_shell(&mut cargo).arg("build").arg("--quiet");
    // `--bin`, not `-p`: `cargo lambda watch` runs `cargo run --bin NAME` at the workspace
    // root, which resolves features for every workspace member; `-p` would resolve them for
    // the functions alone and build another copy of the SDK that the server never runs.
    for f in FUNCTIONS {
        cargo.args(["--bin", f]);
    }
    let status = cargo.status().expect("run cargo build");
    assert!(
        status.success(),
        "the function binaries do not build (see the errors above)"
    );
}

/// The ARN of a function, as a state machine names it.
pub fn function_arn(name: &str) -> String {
    format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}")
}

impl CargoLambda {
    /// Starts the server on `port` (see [`free_port`]) with the functions' environment and
    /// waits until it listens. Call [`build_functions`] first.
    pub fn start(port: u16, env: &FunctionEnv) -> CargoLambda {
        let cargo_lambda = root().join(".venv/bin/cargo-lambda");
        assert!(
            cargo_lambda.exists(),
            "{} is missing: run scripts/bootstrap.sh",
            cargo_lambda.display()
        );
        let log = std::env::temp_dir().join(format!(
            "e2e-cargo-lambda-{}-{port}.log",
            std::process::id()
        ));
        let log_file = std::fs::File::create(&log).expect("create cargo lambda log");
        let mut command = Command::new(crate::moto::python());
        as_from_shell(&mut command)
            .arg("-c")
            .arg(GUARD)
            .arg(&cargo_lambda)
            .args([
                "lambda",
                "watch",
                "--ignore-changes",
                "--quiet",
                "-A",
                "127.0.0.1",
                "-P",
                &port.to_string(),
            ])
            .stdin(Stdio::piped())
            .stdout(log_file.try_clone().expect("log handle"))
            .stderr(log_file);
        // The server passes its `--env-var`s to each function process it spawns.
        for (k, v) in env.vars() {
            command.arg("--env-var").arg(format!("{k}={v}"));
        }
        let mut child = command.spawn().expect("start cargo lambda watch");
        let stdin = child.stdin.take();
        let server = CargoLambda {
            endpoint: format!("http://127.0.0.1:{port}"),
            pid: child.id(),
            log,
            stdin: Mutex::new(stdin),
            child: Mutex::new(child),
        };
        server.wait_listening(port);
        server
    }

    fn wait_listening(&self, port: u16) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = self.child.lock().expect("child lock").try_wait() {
                panic!("cargo lambda watch exited ({status}):\n{}", self.log_tail());
            }
            assert!(
                Instant::now() < deadline,
                "cargo lambda watch did not listen within 60 s:\n{}",
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The last lines of the server's output.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// Invokes a function directly: (HTTP status, body). `cargo lambda watch` answers a
    /// function error with 500 and the `{"errorType","errorMessage"}` body.
    pub async fn invoke(
        &self,
        function: &str,
        payload: &serde_json::Value,
    ) -> (u16, serde_json::Value) {
        invoke(&self.endpoint, function, payload)
            .await
            .unwrap_or_else(|e| panic!("invoke {function}: {e}\n{}", self.log_tail()))
    }

    /// Starts every function once, all at once, so the first real call is fast. The server
    /// runs `cargo run` for each on first call, which rebuilds what changed. The event is
    /// `null`, which every function refuses before doing anything (notify publishes nothing).
    pub async fn warm_up(&self) {
        let mut calls = tokio::task::JoinSet::new();
        for f in FUNCTIONS {
            let endpoint = self.endpoint.clone();
            calls.spawn(async move { (f, invoke(&endpoint, f, &serde_json::Value::Null).await) });
        }
        while let Some(done) = calls.join_next().await {
            let (f, answer) = done.expect("warm-up task");
            if let Err(e) = answer {
                panic!("warming up {f}: {e}\n{}", self.log_tail());
            }
        }
    }
}

async fn invoke(
    endpoint: &str,
    function: &str,
    payload: &serde_json::Value,
) -> Result<(u16, serde_json::Value), reqwest::Error> {
    let response = reqwest::Client::builder()
        .timeout(Duration::from_secs(1800))
        .build()?
        .post(format!(
            "{endpoint}/2015-03-31/functions/{function}/invocations"
        ))
        .json(payload)
        .send()
        .await?;
    let status = response.status().as_u16();
    Ok((
        status,
        response.json().await.unwrap_or(serde_json::Value::Null),
    ))
}

impl Drop for CargoLambda {
    fn drop(&mut self) {
        // Closing the guard's stdin makes it end the server's process group.
        if let Ok(mut stdin) = self.stdin.lock() {
            stdin.take();
        }
        let mut child = self.child.lock().unwrap_or_else(|e| e.into_inner());
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}
