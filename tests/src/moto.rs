//! The local AWS: moto's server, started once per test binary on 127.0.0.1 with a free port.
//!
//! The server is `tests/tools/moto_launcher.py` under the project's `.venv` (made by
//! `scripts/bootstrap.sh`). It serves until its standard input closes; this process holds the
//! other end in a static, so the server stops when the test binary exits, however it exits.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_rds::config::Credentials;
use bluegreen::aws::clients::ClientFactory;

/// The region tests use unless they need another.
pub const REGION: &str = "us-east-1";
/// moto's default account.
pub const ACCOUNT: &str = "123456789012";

/// A running moto server.
#[derive(Debug)]
pub struct Moto {
    pub endpoint: String,
    pub pid: u32,
    // Held open for the server's lifetime: closing it stops the server.
    _stdin: Mutex<ChildStdin>,
    _child: Mutex<Child>,
}

/// The project root (the workspace directory).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The venv's Python, or a clear panic saying how to get it.
pub fn python() -> PathBuf {
    let python = root().join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/bootstrap.sh (scripts/test.sh does it for you)",
        python.display()
    );
    python
}

/// The shared server of this test binary, started on first use.
pub fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(|| Moto::start(&[]))
}

impl Moto {
    /// Starts a server with extra environment for the launcher (e.g. the Lambda endpoint
    /// Step Functions tasks are routed to).
    pub fn start(env: &[(&str, &str)]) -> Moto {
        let mut child = Command::new(python())
            .arg(root().join("tests/tools/moto_launcher.py"))
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start moto");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read moto's port");
        let port: u16 = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("moto launcher said {line:?}, not `PORT <n>`"));
        let stdin = child.stdin.take().expect("piped stdin");
        Moto {
            endpoint: format!("http://127.0.0.1:{port}"),
            pid: child.id(),
            _stdin: Mutex::new(stdin),
            _child: Mutex::new(child),
        }
    }

    /// An SDK configuration pointed at this server with dummy credentials.
    pub fn sdk_config(&self, region: &str) -> SdkConfig {
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .http_client(bluegreen::aws::http::https_client())
            .region(Region::new(region.to_owned()))
            .endpoint_url(&self.endpoint)
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
                    "testing", "testing", None, None, "tests",
                )),
            )
            .build()
    }

    /// The product's client factory pointed at this server.
    pub fn factory(&self) -> ClientFactory {
        ClientFactory::new(self.sdk_config(REGION))
    }

    /// A DynamoDB client (the state machine's lock table).
    pub fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.sdk_config(REGION))
    }

    /// An SDK configuration acting in another account, as moto keeps one world per account:
    /// the credentials of an AssumeRole into `role` there.
    pub async fn sdk_config_in(&self, account: &str, region: &str, role: &str) -> SdkConfig {
        let sts = aws_sdk_sts::Client::new(&self.sdk_config(region));
        let out = sts
            .assume_role()
            .role_arn(format!("arn:aws:iam::{account}:role/{role}"))
            .role_session_name("tests")
            .send()
            .await
            .expect("assume a role in the member account");
        let c = out.credentials().expect("credentials");
        self.sdk_config(region)
            .to_builder()
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
                    c.access_key_id(),
                    c.secret_access_key(),
                    Some(c.session_token().to_owned()),
                    None,
                    "tests",
                )),
            )
            .build()
    }

    /// An RDS client for assertions and seeding.
    pub fn rds(&self) -> aws_sdk_rds::Client {
        aws_sdk_rds::Client::new(&self.sdk_config(REGION))
    }
}

/// A name no other test of this run uses (tests share one server).
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!("{prefix}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}
