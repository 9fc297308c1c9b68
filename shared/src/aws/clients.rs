//! AWS clients for one target: its Region, and its account through the member-account role of
//! this function's kind of work.
//!
//! The base configuration (credentials chain, `AWS_ENDPOINT_URL`, retry settings) is loaded
//! once per container; a target only changes the Region and, for another account, the
//! credentials. Building a client from a loaded config is cheap, so clients are made per
//! invocation and nothing about one target leaks into the next.
//!
//! A target's `roleArn` names the member account's roles without their kind
//! (`arn:aws:iam::222222222222:role/rds-bluegreen`); each function assumes only the role of its
//! own kind (`...-read`, `...-create`, `...-switchover`, `...-delete`, from
//! `member-account.yaml`), so a read-only function never holds delete rights and the function
//! that creates green cannot switch over. The session name and `SourceIdentity` carry the
//! execution's name, so the member account's CloudTrail ties every call to an execution.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::{
    self, error::CredentialsError, future, ProvideCredentials, SharedCredentialsProvider,
};

use crate::error::Error;
use crate::input::Target;

/// The kind of work a function does, which decides the member-account role it assumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleKind {
    /// precheck, poll-status, notify.
    Read,
    /// create (green, on the caller's behalf).
    Create,
    /// switchover (and the snapshot of blue before it).
    Switchover,
    /// delete-old (old blue after switchover, green before it).
    Delete,
}

impl RoleKind {
    /// The kind a suffix names (`HUB_ROLE_ARNS` lists roles by it).
    pub fn parse(suffix: &str) -> Option<RoleKind> {
        [
            RoleKind::Read,
            RoleKind::Create,
            RoleKind::Switchover,
            RoleKind::Delete,
        ]
        .into_iter()
        .find(|k| k.suffix() == suffix)
    }

    /// The suffix of the member-account role (`member-account.yaml`).
    pub fn suffix(self) -> &'static str {
        match self {
            RoleKind::Read => "read",
            RoleKind::Create => "create",
            RoleKind::Switchover => "switchover",
            RoleKind::Delete => "delete",
        }
    }
}

/// What limits how a function reaches other accounts, read once from its environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub kind: RoleKind,
    /// `TARGET_EXTERNAL_ID`: what the member roles require (`none` or empty: not sent).
    pub external_id: Option<String>,
    /// `ALLOWED_ACCOUNT_IDS`: the accounts an execution may target; `None` only for the
    /// explicit opt-in value `any` (an unset or empty variable fails the cold start).
    pub allowed_accounts: Option<Vec<String>>,
}

impl Access {
    /// Same account only, no allow-list: what tests and a single-account deployment use.
    pub fn local(kind: RoleKind) -> Self {
        Access {
            kind,
            external_id: None,
            allowed_accounts: None,
        }
    }

    /// Reads `TARGET_EXTERNAL_ID` and `ALLOWED_ACCOUNT_IDS`; a malformed list fails the cold start.
    pub fn from_env(kind: RoleKind) -> Result<Self, Error> {
        let var = |name| std::env::var(name).ok().map(|v| v.trim().to_owned());
        Self::parse(
            kind,
            var("TARGET_EXTERNAL_ID").as_deref(),
            var("ALLOWED_ACCOUNT_IDS").as_deref(),
        )
    }

    fn parse(
        kind: RoleKind,
        external_id: Option<&str>,
        allowed: Option<&str>,
    ) -> Result<Self, Error> {
        let external_id = external_id
            .filter(|v| !v.is_empty() && *v != "none")
            .map(str::to_owned);
        // The template has no default for AllowedAccountIds: every account is an explicit
        // `any`, never what an unset variable silently means (the same rule as the IAM
        // condition on AssumeRole in template.yaml).
        let allowed_accounts = match allowed.unwrap_or("") {
            "" => {
                return Err(Error::Configuration(
                    "ALLOWED_ACCOUNT_IDS is not set: list the 12-digit account ids executions may target, or `any` to allow every account the roles reach".into(),
                ))
            }
            "any" => None,
            list => {
                let ids: Vec<String> = list.split(',').map(|s| s.trim().to_owned()).collect();
                if let Some(bad) = ids.iter().find(|id| !is_account_id(id)) {
                    return Err(Error::Configuration(format!(
                        "ALLOWED_ACCOUNT_IDS has `{bad}`, not a 12-digit account id (use `any` alone for no list)"
                    )));
                }
                Some(ids)
            }
        };
        Ok(Access {
            kind,
            external_id,
            allowed_accounts,
        })
    }

    /// Refuses a target outside the allow-list, before any AWS call (`InvalidInput`).
    pub fn check(&self, target: &Target) -> Result<(), Error> {
        let Some(allowed) = &self.allowed_accounts else {
            return Ok(());
        };
        let role_account = target
            .role_arn
            .as_deref()
            .and_then(|arn| arn.split(':').nth(4));
        let (field, account) =
            match (&target.account_id, role_account) {
                (Some(account), _) => ("target.accountId", account.as_str()),
                (None, Some(account)) => ("target.roleArn", account),
                (None, None) => return Err(Error::invalid(
                    "target.accountId",
                    "is required: this deployment only acts on the accounts in ALLOWED_ACCOUNT_IDS",
                    "give the 12-digit account id of the database",
                )),
            };
        if allowed.iter().any(|a| a == account) {
            Ok(())
        } else {
            Err(Error::invalid(
                field,
                format!("names account {account}, which is not in this deployment's allowed accounts"),
                "target a database in an allowed account, or add the account to the stack's AllowedAccountIds",
            ))
        }
    }
}

/// Makes the clients a step needs for a target. Built once in a function's `main`.
#[derive(Clone, Debug)]
pub struct ClientFactory {
    base: SdkConfig,
    access: Access,
    /// The Step Functions execution this invocation works for (session name, SourceIdentity).
    execution: Option<String>,
}

impl ClientFactory {
    /// Loads the default AWS configuration from the environment (honours `AWS_ENDPOINT_URL`)
    /// and the access limits of a function of this kind.
    pub async fn from_env(kind: RoleKind) -> Result<Self, Error> {
        let access = Access::from_env(kind)?;
        let base = aws_config::defaults(BehaviorVersion::latest())
            .http_client(super::http::https_client())
            .load()
            .await;
        Ok(Self::with_access(base, access))
    }

    /// Wraps an already loaded configuration (tests point it at the local emulator), with
    /// read access and no limits.
    pub fn new(base: SdkConfig) -> Self {
        Self::with_access(base, Access::local(RoleKind::Read))
    }

    /// Wraps a loaded configuration with explicit access limits.
    pub fn with_access(base: SdkConfig, access: Access) -> Self {
        Self {
            base,
            access,
            execution: None,
        }
    }

    /// The same factory for one invocation on behalf of a Step Functions execution.
    pub fn for_execution(&self, execution: Option<&str>) -> Self {
        Self {
            execution: execution.map(str::to_owned),
            ..self.clone()
        }
    }

    /// The execution this invocation works for (the runtime takes `execution` out of the
    /// event and gives it here), e.g. for the payload of a hook.
    pub fn execution(&self) -> Option<&str> {
        self.execution.as_deref()
    }

    /// The base configuration, for clients that are not per target (SNS, Secrets Manager).
    pub fn base(&self) -> &SdkConfig {
        &self.base
    }

    /// The configuration for one target: its Region, and the role of this function's kind
    /// when the target names member-account roles. `InvalidInput` for a target outside the
    /// allowed accounts, before any call.
    pub fn config_for(&self, target: &Target) -> Result<SdkConfig, Error> {
        self.access.check(target)?;
        let region = Region::new(target.region.clone());
        let mut builder = self.base.to_builder().region(region.clone());
        if let Some(base_role) = &target.role_arn {
            let role = AssumedRole {
                sts: aws_sdk_sts::Client::new(&self.base.to_builder().region(region).build()),
                role_arn: format!("{base_role}-{}", self.access.kind.suffix()),
                session_name: session_name(self.access.kind, self.execution.as_deref(), target),
                source_identity: source_identity(self.execution.as_deref(), target),
                external_id: self.access.external_id.clone(),
            };
            builder = builder.credentials_provider(SharedCredentialsProvider::new(role));
        }
        Ok(builder.build())
    }

    /// An RDS client for the target; its calls are counted ([`super::meter`]).
    pub fn rds(&self, target: &Target) -> Result<aws_sdk_rds::Client, Error> {
        Ok(super::meter::rds_client(&self.config_for(target)?))
    }

    /// An IAM client in the target's account (the permissions preflight asks its policy
    /// simulator about the roles the workflow will use there).
    pub fn iam(&self, target: &Target) -> Result<aws_sdk_iam::Client, Error> {
        Ok(aws_sdk_iam::Client::new(&self.config_for(target)?))
    }

    /// The kind of work this factory's function does.
    pub fn kind(&self) -> RoleKind {
        self.access.kind
    }
}

/// Credentials of the member-account role, from an AssumeRole that also sets `SourceIdentity`
/// (which aws-config's own AssumeRoleProvider cannot send). The SDK client caches them.
#[derive(Debug)]
struct AssumedRole {
    sts: aws_sdk_sts::Client,
    role_arn: String,
    session_name: String,
    source_identity: String,
    external_id: Option<String>,
}

impl AssumedRole {
    async fn assume(&self) -> provider::Result {
        let out = self
            .sts
            .assume_role()
            .role_arn(&self.role_arn)
            .role_session_name(&self.session_name)
            .source_identity(&self.source_identity)
            .set_external_id(self.external_id.clone())
            .send()
            .await
            .map_err(|e| {
                // STS's code and message when it answered (AccessDenied...), not the raw response.
                let why = match e.as_service_error() {
                    Some(s) => format!(
                        "{}: {}",
                        s.meta().code().unwrap_or("Unknown"),
                        s.meta().message().unwrap_or_default()
                    ),
                    None => aws_sdk_sts::error::DisplayErrorContext(&e).to_string(),
                };
                CredentialsError::provider_error(format!(
                    "AssumeRole {} failed: {why}",
                    self.role_arn
                ))
            })?;
        let c = out.credentials().ok_or_else(|| {
            CredentialsError::provider_error(format!(
                "AssumeRole {} gave no credentials",
                self.role_arn
            ))
        })?;
        let expiry = std::time::SystemTime::try_from(*c.expiration()).ok();
        Ok(aws_credential_types::Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_owned()),
            expiry,
            "bluegreen-assume-role",
        ))
    }
}

impl ProvideCredentials for AssumedRole {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(self.assume())
    }
}

/// `[\w+=,.@-]` only, at most `max` characters, at least 2.
fn sanitize(text: &str, max: usize) -> String {
    let mut out: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_+=,.@-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(max)
        .collect();
    while out.len() < 2 {
        out.push('-');
    }
    out
}

/// What CloudTrail shows as the session: the kind of work and the execution (or, outside
/// Step Functions, the database). 2-64 characters of `[\w+=,.@-]`: the kind's label is at
/// most 6 characters, so `bluegreen-<label>-` leaves 47 for an execution name whole (a fleet's
/// child names stay within 47, shared/src/fleet/plan.rs).
fn session_name(kind: RoleKind, execution: Option<&str>, target: &Target) -> String {
    let who = execution.unwrap_or(&target.identifier);
    let label = match kind {
        RoleKind::Switchover => "switch",
        other => other.suffix(),
    };
    sanitize(&format!("bluegreen-{label}-{who}"), 64)
}

/// The execution's name (or the database's), kept by every call of the session and by any
/// role chained from it. 2-64 characters of `[\w+=,.@-]`.
fn source_identity(execution: Option<&str>, target: &Target) -> String {
    match execution {
        Some(name) => sanitize(name, 64),
        None => sanitize(&format!("bluegreen-{}", target.identifier), 64),
    }
}

fn is_account_id(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Engine;

    fn target(account: Option<&str>, role: Option<&str>) -> Target {
        Target {
            account_id: account.map(str::to_owned),
            region: "eu-west-1".into(),
            identifier: "orders".into(),
            engine: Engine::Mysql,
            role_arn: role.map(str::to_owned),
        }
    }

    #[tokio::test]
    async fn target_region_overrides_the_base() {
        let base = SdkConfig::builder()
            .region(Region::new("us-east-1"))
            .behavior_version(BehaviorVersion::latest())
            .build();
        let config = ClientFactory::new(base)
            .config_for(&target(None, None))
            .unwrap();
        assert_eq!(config.region().map(|r| r.as_ref()), Some("eu-west-1"));
    }

    #[test]
    fn session_names_are_bounded_and_clean() {
        let t = target(None, None);
        assert_eq!(
            session_name(RoleKind::Delete, Some("upgrade orders/1"), &t),
            "bluegreen-delete-upgrade-orders-1"
        );
        assert_eq!(
            session_name(RoleKind::Read, Some(&"a".repeat(80)), &t).len(),
            64
        );
        assert_eq!(
            session_name(RoleKind::Create, None, &t),
            "bluegreen-create-orders"
        );
        let child = "a".repeat(47);
        for kind in [
            RoleKind::Read,
            RoleKind::Create,
            RoleKind::Switchover,
            RoleKind::Delete,
        ] {
            let name = session_name(kind, Some(&child), &t);
            assert!(
                name.ends_with(&child),
                "{name} keeps a 47-character execution name whole"
            );
        }
        assert_eq!(
            session_name(RoleKind::Switchover, Some("run-1"), &t),
            "bluegreen-switch-run-1"
        );
        assert_eq!(source_identity(Some("run-1"), &t), "run-1");
        assert_eq!(source_identity(None, &t), "bluegreen-orders");
        assert_eq!(source_identity(Some(""), &t), "--");
    }

    /// What reaches STS: the role of the function's kind, the execution as session name and
    /// SourceIdentity, and the external id the member roles require.
    #[tokio::test]
    async fn the_assume_role_call_carries_kind_execution_and_external_id() {
        use aws_sdk_sts::operation::assume_role::AssumeRoleOutput;
        use aws_smithy_mocks::{mock, mock_client, RuleMode};
        let call = mock!(aws_sdk_sts::Client::assume_role)
            .match_requests(|r| {
                r.role_arn() == Some("arn:aws:iam::222222222222:role/rds-bluegreen-delete")
                    && r.role_session_name() == Some("bluegreen-delete-upgrade-orders-7")
                    && r.source_identity() == Some("upgrade-orders-7")
                    && r.external_id() == Some("hub-external-id-0123")
            })
            .then_output(|| {
                AssumeRoleOutput::builder()
                    .credentials(
                        aws_sdk_sts::types::Credentials::builder()
                            .access_key_id("AKID")
                            .secret_access_key("SECRET")
                            .session_token("TOKEN")
                            .expiration(aws_smithy_types::DateTime::from_secs(4_102_444_800))
                            .build()
                            .unwrap(),
                    )
                    .build()
            });
        let sts = mock_client!(aws_sdk_sts, RuleMode::MatchAny, [&call]);
        let t = target(
            Some("222222222222"),
            Some("arn:aws:iam::222222222222:role/rds-bluegreen"),
        );
        let role = AssumedRole {
            sts,
            role_arn: format!(
                "{}-{}",
                t.role_arn.as_deref().unwrap(),
                RoleKind::Delete.suffix()
            ),
            session_name: session_name(RoleKind::Delete, Some("upgrade-orders-7"), &t),
            source_identity: source_identity(Some("upgrade-orders-7"), &t),
            external_id: Some("hub-external-id-0123".into()),
        };
        let credentials = role.provide_credentials().await.expect("credentials");
        assert_eq!(credentials.access_key_id(), "AKID");
        assert_eq!(call.num_calls(), 1);
    }

    #[test]
    fn the_allow_list_refuses_other_accounts_naming_the_field() {
        let access = Access::parse(
            RoleKind::Delete,
            Some("none"),
            Some("111111111111,222222222222"),
        )
        .unwrap();
        assert_eq!(access.external_id, None);
        assert!(access.check(&target(Some("222222222222"), None)).is_ok());
        let err = access
            .check(&target(Some("333333333333"), None))
            .unwrap_err();
        assert_eq!(err.name(), "InvalidInput");
        assert!(err.to_string().contains("target.accountId"), "{err}");
        let err = access
            .check(&target(
                None,
                Some("arn:aws:iam::333333333333:role/rds-bluegreen"),
            ))
            .unwrap_err();
        assert!(err.to_string().contains("target.roleArn"), "{err}");
        assert!(access.check(&target(None, None)).is_err());
    }

    #[test]
    fn only_an_explicit_any_allows_every_account_and_a_bad_or_missing_list_fails_the_cold_start() {
        let any = Access::parse(RoleKind::Read, None, Some("any")).unwrap();
        assert!(any.check(&target(Some("333333333333"), None)).is_ok());
        let err = Access::parse(RoleKind::Read, None, Some("111111111111,12")).unwrap_err();
        assert_eq!(err.name(), "ConfigurationError");
        for missing in [None, Some("")] {
            let err = Access::parse(RoleKind::Read, None, missing).unwrap_err();
            assert_eq!(err.name(), "ConfigurationError");
            assert!(err.to_string().contains("`any`"), "{err}");
        }
        let with_id =
            Access::parse(RoleKind::Read, Some("abc-0123456789abcdef"), Some("any")).unwrap();
        assert_eq!(with_id.external_id.as_deref(), Some("abc-0123456789abcdef"));
    }

    #[test]
    fn each_function_kind_names_its_own_member_role() {
        let kinds = [
            RoleKind::Read,
            RoleKind::Create,
            RoleKind::Switchover,
            RoleKind::Delete,
        ];
        let suffixes: Vec<&str> = kinds.iter().map(|k| k.suffix()).collect();
        assert_eq!(suffixes, ["read", "create", "switchover", "delete"]);
        for kind in kinds {
            assert_eq!(RoleKind::parse(kind.suffix()), Some(kind));
        }
        assert_eq!(RoleKind::parse("change"), None);
    }
}
