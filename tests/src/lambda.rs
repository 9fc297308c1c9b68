//! The Lambda functions of the workspace, served on 127.0.0.1 as Lambda runs them: the Invoke
//! API and the Lambda runtime API of `cargo lambda watch --only-lambda-apis`, and the function
//! binaries themselves, started here against that runtime API (each polls it for the next
//! event, as in a Lambda execution environment).
//!
//! The binaries are the ones `cargo test --workspace` builds (see [`function_binaries`]): one
//! build of the AWS SDK serves the functions and the tests. (`cargo lambda watch` without
//! `--only-lambda-apis` would `cargo run` each function with the features of that function
//! alone, a second build of the whole SDK.) The release build for deployment (`sam build`,
//! `cargo lambda build --release`) selects the function packages alone and carries no test
//! feature.
//!
//! moto's Step Functions engine sends Lambda tasks here (see
//! `tests/tools/moto_patches/sfn_lambda.py`). The server and the function processes run under
//! `tests/tools/process_group.py`, which holds our end of a pipe: when this process exits
//! however it exits, the pipe closes and it ends them all, as `moto.rs` does for moto.
//! Dropping a [`CargoLambda`] stops them the same way.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

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

/// The user's hooks the end-to-end stack serves as Lambda functions (`options.hooks`), each a
/// test binary of its own name (`e2e::hook_echo`): the first answers what it received, the
/// second fails.
pub const HOOK_FUNCTIONS: [&str; 2] = ["rds-bluegreen-hook-echo", "rds-bluegreen-hook-failing"];

/// Processes of each function started at once (`E2E_LAMBDA_INSTANCES`, default 4): Lambda
/// runs concurrent invocations in separate execution environments, and end-to-end tests run
/// executions in parallel.
pub const DEFAULT_INSTANCES: usize = 4;

/// A running local Lambda: the Invoke API at `endpoint` and the function processes.
#[derive(Debug)]
pub struct CargoLambda {
    /// `http://127.0.0.1:PORT`: POST `/2015-03-31/functions/NAME/invocations`.
    pub endpoint: String,
    /// The server's process group guard's id.
    pub pid: u32,
    /// Where the server's and the functions' output goes (read it when an invocation fails).
    pub log: PathBuf,
    // Declared first, dropped first: the functions stop before the API they poll.
    hosts: Option<Group>,
    server: Group,
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
    /// Slack's Approve/Reject buttons answered by notify's Function URL; `None`: off.
    pub slack_approvals: Option<crate::slack::SlackApprovals>,
}

/// The hub's `TARGET_EXTERNAL_ID` (template parameter `TargetExternalId`): what the member
/// accounts' roles require (member-account.yaml `ExternalId`; moto_patches/sts_trust.py).
pub const TARGET_EXTERNAL_ID: &str = "fleet-tests-external-id";

impl FunctionEnv {
    /// The variables, as (name, value).
    pub fn vars(&self) -> Vec<(String, String)> {
        let mut vars = local_aws_vars(&self.aws_endpoint);
        vars.extend([
            ("TOPIC_ARN".to_owned(), self.topic_arn.clone()),
            (
                "SLACK_WEBHOOK_SECRET_ARN".to_owned(),
                self.slack_secret_arn.clone(),
            ),
            (
                "LOCK_TABLE_NAME".to_owned(),
                crate::stepfunctions::LOCK_TABLE.to_owned(),
            ),
            (
                "TARGET_EXTERNAL_ID".to_owned(),
                TARGET_EXTERNAL_ID.to_owned(),
            ),
            // The explicit opt-in the template's AllowedAccountIds requires (no silent default).
            ("ALLOWED_ACCOUNT_IDS".to_owned(), "any".to_owned()),
        ]);
        vars.extend(self.slack_approvals.iter().flat_map(|s| s.vars()));
        vars
    }
}

/// What every local function needs to reach the local AWS (moto at `aws_endpoint`).
pub fn local_aws_vars(aws_endpoint: &str) -> Vec<(String, String)> {
    [
        ("AWS_ENDPOINT_URL", aws_endpoint),
        ("AWS_REGION", REGION),
        ("AWS_DEFAULT_REGION", REGION),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("RUST_LOG", "info"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// One function served locally: invoked as `name`, run from the workspace binary `binary`
/// with `env` (on top of what Lambda's runtime sets).
#[derive(Debug, Clone)]
pub struct FunctionHost {
    pub name: String,
    pub binary: String,
    pub env: Vec<(String, String)>,
}

impl FunctionHost {
    /// Every function of the workspace under its binary name, with the same environment.
    pub fn all(env: &[(String, String)]) -> Vec<FunctionHost> {
        FunctionHost::under_binary_names(&FUNCTIONS, env)
    }

    /// The hooks of [`HOOK_FUNCTIONS`], with the same environment.
    pub fn hooks(env: &[(String, String)]) -> Vec<FunctionHost> {
        FunctionHost::under_binary_names(&HOOK_FUNCTIONS, env)
    }

    fn under_binary_names(names: &[&str], env: &[(String, String)]) -> Vec<FunctionHost> {
        names
            .iter()
            .map(|f| FunctionHost {
                name: (*f).to_owned(),
                binary: (*f).to_owned(),
                env: env.to_vec(),
            })
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
/// built in the workspace's target directory, with the same environment as `cargo test` from
/// a shell, so `scripts/test.sh` builds them once for all.
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

/// The function binaries (binary name -> executable), built once per test process.
///
/// They are built with the features `cargo test --workspace` resolves (the SDK's `test-util`
/// among them, from the members' dev-dependencies), so the tests and the functions share one
/// build of the SDK: `--workspace` selects every member, and `--examples` (the workspace has
/// none; `cargo test` builds them anyway) makes cargo resolve features with dev-dependencies,
/// as `cargo test` does (cargo's `CompileFilter::need_dev_deps`). `scripts/test.sh` builds the
/// same units before the tests, so here cargo only checks they are fresh.
/// (`cargo test` does not hold the build lock while tests run, so this does not wait.)
///
/// `E2E_FUNCTIONS_BUILT=<file>` names the JSON messages of a build of the same command that
/// already ran (`scripts/test.sh` builds the functions first, starts this tier, then builds
/// the other test targets while it runs): the binaries are read from it and cargo is not run,
/// since it would wait for that other build's lock.
pub fn function_binaries() -> &'static BTreeMap<String, PathBuf> {
    static BINARIES: OnceLock<BTreeMap<String, PathBuf>> = OnceLock::new();
    BINARIES.get_or_init(build_binaries)
}

/// Builds the function binaries first, so a compile error fails fast and clearly.
pub fn build_functions() {
    function_binaries();
}

fn build_binaries() -> BTreeMap<String, PathBuf> {
    let messages = match std::env::var_os("E2E_FUNCTIONS_BUILT") {
        Some(file) => std::fs::read(&file)
            .unwrap_or_else(|e| panic!("E2E_FUNCTIONS_BUILT={}: {e}", file.to_string_lossy())),
        None => cargo_build_binaries(),
    };
    let mut binaries = BTreeMap::new();
    for line in messages.lines() {
        let message: Value = serde_json::from_str(&line.expect("cargo output")).unwrap_or_default();
        let name = message["target"]["name"].as_str().unwrap_or_default();
        if message["reason"] == "compiler-artifact"
            && (FUNCTIONS.contains(&name) || HOOK_FUNCTIONS.contains(&name))
        {
            if let Some(exe) = message["executable"].as_str() {
                binaries.insert(name.to_owned(), PathBuf::from(exe));
            }
        }
    }
    for f in FUNCTIONS.iter().chain(&HOOK_FUNCTIONS) {
        assert!(binaries.contains_key(*f), "cargo built no `{f}` binary");
    }
    held(binaries)
}

/// Builds the functions; returns cargo's JSON messages.
fn cargo_build_binaries() -> Vec<u8> {
    let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    as_from_shell(&mut cargo).args([
        "build",
        "--quiet",
        "--workspace",
        "--bins",
        "--examples",
        "--message-format=json-render-diagnostics",
    ]);
    let output = cargo
        .stderr(Stdio::inherit())
        .output()
        .expect("run cargo build");
    assert!(
        output.status.success(),
        "the function binaries do not build (see the errors above)"
    );
    output.stdout
}

/// The binaries as this build made them, held by hard links of this process's own
/// (`<target>/debug/e2e-held/<pid>/`): several worktrees share one target directory, and a
/// build in another one replaces `target/debug/<binary>` with its own, which the functions
/// restarted later (or started a moment after this build) would otherwise run. A link keeps
/// this build's file; links of processes that have ended are removed.
fn held(binaries: BTreeMap<String, PathBuf>) -> BTreeMap<String, PathBuf> {
    let Some(dir) = binaries
        .values()
        .next()
        .and_then(|exe| exe.parent())
        .map(|d| d.join("e2e-held"))
    else {
        return binaries;
    };
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries.flatten() {
            let pid = entry.file_name().to_string_lossy().into_owned();
            if !std::path::Path::new("/proc").join(&pid).exists() {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    let own = dir.join(std::process::id().to_string());
    let _ = std::fs::remove_dir_all(&own);
    if std::fs::create_dir_all(&own).is_err() {
        return binaries;
    }
    binaries
        .into_iter()
        .map(|(name, exe)| {
            let link = own.join(&name);
            match std::fs::hard_link(&exe, &link) {
                Ok(()) => (name, link),
                Err(_) => (name, exe),
            }
        })
        .collect()
}

/// The ARN of a function, as a state machine names it.
pub fn function_arn(name: &str) -> String {
    format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}")
}

/// Processes started under `tests/tools/process_group.py`, ended when this value drops or
/// this process exits.
#[derive(Debug)]
struct Group {
    stdin: Mutex<Option<ChildStdin>>,
    child: Mutex<Child>,
}

impl Group {
    /// Starts `commands` (argv, extra environment, restart when it exits), output to `log`.
    fn start(commands: &Value, log: &std::fs::File) -> Group {
        let mut command = Command::new(crate::moto::python());
        as_from_shell(&mut command)
            .arg(root().join("tests/tools/process_group.py"))
            .arg(commands.to_string())
            .stdin(Stdio::piped())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log.try_clone().expect("log handle"));
        let mut child = command.spawn().expect("start a process group");
        let stdin = child.stdin.take();
        Group {
            stdin: Mutex::new(stdin),
            child: Mutex::new(child),
        }
    }

    fn pid(&self) -> u32 {
        self.child.lock().expect("child lock").id()
    }

    fn exited(&self) -> Option<std::process::ExitStatus> {
        self.child
            .lock()
            .expect("child lock")
            .try_wait()
            .ok()
            .flatten()
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        // Closing the guard's stdin makes it end its processes.
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

impl CargoLambda {
    /// Serves every function of the workspace, and the test hooks ([`HOOK_FUNCTIONS`]), on
    /// `port` (see [`free_port`]) with the functions' environment, and waits until the server
    /// listens.
    pub fn start(port: u16, env: &FunctionEnv) -> CargoLambda {
        let vars = env.vars();
        let mut hosts = FunctionHost::all(&vars);
        hosts.extend(FunctionHost::hooks(&vars));
        CargoLambda::serve(port, &hosts)
    }

    /// Serves `functions` on `port`: the Invoke and runtime APIs, then `E2E_LAMBDA_INSTANCES`
    /// processes of each function polling the runtime API for its events.
    pub fn serve(port: u16, functions: &[FunctionHost]) -> CargoLambda {
        let binaries = function_binaries();
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
        let server = Group::start(
            &json!([{
                "argv": [cargo_lambda, "lambda", "watch", "--only-lambda-apis", "--quiet",
                         "-A", "127.0.0.1", "-P", port.to_string()],
                "env": {},
            }]),
            &log_file,
        );
        let mut lambda = CargoLambda {
            endpoint: format!("http://127.0.0.1:{port}"),
            pid: server.pid(),
            log,
            hosts: None,
            server,
        };
        lambda.wait_listening(port);
        let instances = std::env::var("E2E_LAMBDA_INSTANCES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(DEFAULT_INSTANCES)
            .max(1);
        let mut commands = Vec::new();
        for function in functions {
            let binary = binaries
                .get(&function.binary)
                .unwrap_or_else(|| panic!("no binary `{}` in the workspace", function.binary));
            let mut env: BTreeMap<String, String> = function.env.iter().cloned().collect();
            // What Lambda sets in an execution environment (lambda_runtime reads these).
            env.extend(
                [
                    (
                        "AWS_LAMBDA_RUNTIME_API",
                        format!("http://127.0.0.1:{port}/.rt/{}", function.name),
                    ),
                    ("AWS_LAMBDA_FUNCTION_NAME", function.name.clone()),
                    ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
                    ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".to_owned()),
                ]
                .map(|(k, v)| (k.to_owned(), v)),
            );
            for _ in 0..instances {
                commands.push(json!({"argv": [binary], "env": env, "restart": true}));
            }
        }
        lambda.hosts = Some(Group::start(&Value::Array(commands), &log_file));
        lambda
    }

    fn wait_listening(&self, port: u16) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = self.server.exited() {
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

    /// The last lines of the server's and the functions' output.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// Invokes a function directly: (HTTP status, body). The server answers a function error
    /// with 500 and the `{"errorType","errorMessage"}` body.
    pub async fn invoke(&self, function: &str, payload: &Value) -> (u16, Value) {
        invoke(&self.endpoint, function, payload)
            .await
            .unwrap_or_else(|e| panic!("invoke {function}: {e}\n{}", self.log_tail()))
    }

    /// Invokes every function once, all at once, so a function that cannot start shows here.
    /// The event is `null`, which every function refuses before doing anything (notify
    /// publishes nothing).
    pub async fn warm_up(&self) {
        let mut calls = tokio::task::JoinSet::new();
        for f in FUNCTIONS {
            let endpoint = self.endpoint.clone();
            calls.spawn(async move { (f, invoke(&endpoint, f, &Value::Null).await) });
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
    payload: &Value,
) -> Result<(u16, Value), reqwest::Error> {
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
    Ok((status, response.json().await.unwrap_or(Value::Null)))
}
