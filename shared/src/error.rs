//! The one error type of the product.
//!
//! Step Functions routes on the Lambda `errorType`, so every variant has a fixed name
//! ([`Error::name`]) that never changes with a refactor; the Lambda binaries put it in
//! `lambda_runtime::Diagnostic`. The message ([`Display`](std::fmt::Display)) is for
//! people: it says what happened and, where there is one, the fix.

use aws_sdk_rds::error::ProvideErrorMetadata;
use aws_smithy_types::error::metadata::ErrorMetadata;

/// Every error the functions can return. The names are a public contract with the state
/// machine: see [`Error::ALL_NAMES`] and [`Error::RETRYABLE_NAMES`].
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The execution input is wrong; nothing was changed.
    #[error("invalid input: `{field}` {problem}. Fix: {fix}")]
    InvalidInput {
        field: String,
        problem: String,
        fix: String,
    },

    /// At least one blocking precheck finding; the message is the full JSON report.
    #[error("{report}")]
    PrecheckFailed { report: String },

    /// AWS reports the deployment (or one of its members or tasks) as failed.
    #[error("Blue/Green deployment {deployment} failed: {status}: {details}")]
    DeploymentFailed {
        deployment: String,
        status: String,
        details: String,
    },

    /// AWS returned a status this product does not know; it never takes a step on a guess.
    #[error("unknown {what} status `{value}` on {resource}: stopping rather than guessing; a human must look")]
    UnknownStatus {
        what: String,
        value: String,
        resource: String,
    },

    /// A destructive step refused to act; nothing was deleted or modified.
    #[error("refusing to act on {resource}: {reason}")]
    UnsafeToDelete { resource: String, reason: String },

    /// A step found the world not yet as it needs it (green not ready at switchover time).
    #[error("not ready: {reason}")]
    NotReady { reason: String },

    /// A transient failure that outlived the SDK's own retries (throttling, a busy resource,
    /// a network fault): the state machine retries it with a backoff measured in minutes.
    #[error("transient AWS failure in {operation}: {code}: {message}")]
    Retryable {
        operation: String,
        code: String,
        message: String,
    },

    /// An AWS call failed for a reason that retrying will not fix.
    #[error("AWS call {operation} failed: {code}: {message}{}", hint.map(|h| format!(". Fix: {h}")).unwrap_or_default())]
    AwsCallFailed {
        operation: String,
        code: String,
        message: String,
        hint: Option<&'static str>,
    },

    /// A named resource does not exist.
    #[error("{what} `{id}` was not found{}", region.as_deref().map(|r| format!(" in {r}")).unwrap_or_default())]
    NotFound {
        what: &'static str,
        id: String,
        region: Option<String>,
    },

    /// A deployment with the wanted name exists but belongs to another database.
    #[error("a Blue/Green deployment named `{name}` already exists for {existing_source}, not for {wanted_source}. Fix: choose another options.deploymentName, or delete the other deployment")]
    DeploymentConflict {
        name: String,
        existing_source: String,
        wanted_source: String,
    },

    /// RDS canceled the switchover and rolled it back (RDS-EVENT-0249): nothing changed.
    #[error("the switchover of Blue/Green deployment {deployment} was rolled back by RDS at {at} (RDS-EVENT-0249 \"Switchover canceled on blue/green deployment\"): production {production} is unchanged and still serves traffic; green {green} is kept and still replicates from it. Fix: read the deployment's events in the RDS console for the cause (replica lag, long-running transactions or DDL on blue, a switchover timeout too short for them), fix it, then start an execution with the same input and \"action\": \"switchover\" (raise options.switchoverTimeoutSeconds if the timeout was too short), or with \"action\": \"abandon\" to remove green")]
    SwitchoverRolledBack {
        deployment: String,
        production: String,
        green: String,
        at: String,
    },

    /// After switchover, production is not what the upgrade asked for.
    #[error("verification failed for {database}: {reason}")]
    VerificationFailed { database: String, reason: String },

    /// A wait loop used up the polls the input allows.
    #[error("gave up waiting for {stage} after {attempts} polls. Fix: look at the deployment in the console; raise options.maxPolls to wait longer")]
    WaitTimedOut { stage: String, attempts: u32 },

    /// The switchover window closed before the switchover could start: nothing was switched.
    #[error("the switchover window {opens} to {closes} has closed (now {now}): nothing was switched over and green is kept. Fix: start a new execution with the same input, \"action\": \"switchover\" and a new options.switchoverAt (and switchoverNotAfter); or \"action\": \"abandon\" to remove green")]
    WindowMissed {
        opens: String,
        closes: String,
        now: String,
    },

    /// A snapshot this product took (blue's before switchover, or old blue's final one) did
    /// not complete: nothing after it was done (no switchover, no deletion).
    #[error("snapshot {snapshot} of {database} is {status}: it did not complete, so nothing after it was done (no switchover, no deletion). Fix: look at the snapshot in the console (a quota, a KMS key), delete it, and start the same input again")]
    SnapshotFailed {
        snapshot: String,
        database: String,
        status: String,
    },

    /// Another execution holds the database's lock (found when a step holds it again before a
    /// change, e.g. after a redrive): nothing was changed.
    #[error("{key} is locked by execution {holder}: another execution is acting on this database; nothing was changed. Fix: wait for it to end (or stop it), then start this one again (or redrive it)")]
    Locked { key: String, holder: String },

    /// A wait was not begun: an event or an approval for this database arrived after the read
    /// the wait follows (`hintAt` newer than it), so the state machine reads again at once.
    #[error("{key}: a wake-up for the {purpose} wait arrived since the last read: reading again instead of waiting")]
    WokenEarly { key: String, purpose: String },

    /// A wait was not begun: the read it makes first (the fallback timer's, or its first)
    /// found nothing left to wait for, so the state machine goes on to the step that reads
    /// and decides.
    #[error("the {purpose} wait of {key} is over ({phase}): going on instead of waiting")]
    WaitOver {
        key: String,
        purpose: String,
        phase: String,
    },

    /// The function's own configuration (environment) is wrong: fails the cold start.
    #[error("configuration: {0}")]
    Configuration(String),
}

impl Error {
    /// Every name [`Error::name`] can return, for the state machine's contract test.
    pub const ALL_NAMES: &'static [&'static str] = &[
        "InvalidInput",
        "PrecheckFailed",
        "DeploymentFailed",
        "UnknownStatus",
        "UnsafeToDelete",
        "NotReady",
        "Retryable",
        "AwsCallFailed",
        "NotFound",
        "DeploymentConflict",
        "VerificationFailed",
        "WaitTimedOut",
        "WindowMissed",
        "ConfigurationError",
        "SwitchoverRolledBack",
        "SnapshotFailed",
        "Locked",
        "WokenEarly",
        "WaitOver",
    ];

    /// Names the state machine raises itself (no function does): `LockReleaseFailed`, when
    /// the lock could not be released at an end (the execution fails so that the status rule
    /// tells it and releases the lock again); `HookFailed`, when one of the user's hooks
    /// (`options.hooks`, [`crate::hooks`]) failed, timed out or could not be started.
    pub const STATE_MACHINE_NAMES: &'static [&'static str] = &[
        "LockReleaseFailed",
        "HookFailed",
        "ApprovalExpired",
        "NothingToApprove",
        "AlreadyAnswered",
        "NotThisQuestion",
        "AnswerFailed",
    ];

    /// The names the state machine retries (with backoff): the rest fail the execution.
    pub const RETRYABLE_NAMES: &'static [&'static str] = &["Retryable", "NotReady"];

    /// The stable name Step Functions sees as `errorType` (the `Error` of a Catch).
    pub fn name(&self) -> &'static str {
        match self {
            Error::InvalidInput { .. } => "InvalidInput",
            Error::PrecheckFailed { .. } => "PrecheckFailed",
            Error::DeploymentFailed { .. } => "DeploymentFailed",
            Error::UnknownStatus { .. } => "UnknownStatus",
            Error::UnsafeToDelete { .. } => "UnsafeToDelete",
            Error::NotReady { .. } => "NotReady",
            Error::Retryable { .. } => "Retryable",
            Error::AwsCallFailed { .. } => "AwsCallFailed",
            Error::NotFound { .. } => "NotFound",
            Error::DeploymentConflict { .. } => "DeploymentConflict",
            Error::VerificationFailed { .. } => "VerificationFailed",
            Error::WaitTimedOut { .. } => "WaitTimedOut",
            Error::WindowMissed { .. } => "WindowMissed",
            Error::Configuration(_) => "ConfigurationError",
            Error::SwitchoverRolledBack { .. } => "SwitchoverRolledBack",
            Error::SnapshotFailed { .. } => "SnapshotFailed",
            Error::Locked { .. } => "Locked",
            Error::WokenEarly { .. } => "WokenEarly",
            Error::WaitOver { .. } => "WaitOver",
        }
    }

    /// Logs the error once and splits it into the Lambda `errorType` and `errorMessage`.
    pub fn into_report(self) -> (&'static str, String) {
        tracing::error!(error_type = self.name(), error = %self, "step failed");
        (self.name(), self.to_string())
    }

    /// The field an `InvalidInput` names (tests and messages read it).
    pub fn field(&self) -> Option<&str> {
        match self {
            Error::InvalidInput { field, .. } => Some(field),
            _ => None,
        }
    }

    /// Shorthand for [`Error::InvalidInput`].
    pub fn invalid(
        field: impl Into<String>,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Error::InvalidInput {
            field: field.into(),
            problem: problem.into(),
            fix: fix.into(),
        }
    }

    /// Shorthand for [`Error::UnsafeToDelete`].
    pub fn unsafe_to_delete(resource: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::UnsafeToDelete {
            resource: resource.into(),
            reason: reason.into(),
        }
    }

    /// Classifies a failed SDK call, keeping AWS's code and message in the cause.
    ///
    /// The SDK has already retried transient faults for seconds; what still fails here as
    /// transient becomes [`Error::Retryable`] so the state machine retries it for minutes.
    pub fn from_sdk<E>(
        operation: &str,
        err: aws_sdk_rds::error::SdkError<E, aws_sdk_rds::config::http::HttpResponse>,
    ) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        use aws_sdk_rds::error::SdkError;
        if let Some(refused) = refused_credentials(operation, &err) {
            return refused;
        }
        if let (SdkError::DispatchFailure(_), Some(cause)) = (&err, endpoint_not_resolved(&err)) {
            return Error::AwsCallFailed {
                operation: operation.to_owned(),
                code: "EndpointNotResolved".to_owned(),
                message: cause,
                hint: Some(ENDPOINT_NOT_RESOLVED_FIX),
            };
        }
        match &err {
            SdkError::ServiceError(service) => {
                let meta = service.err().meta();
                Self::from_metadata(operation, meta)
            }
            SdkError::TimeoutError(_)
            | SdkError::DispatchFailure(_)
            | SdkError::ResponseError(_) => Error::Retryable {
                operation: operation.to_owned(),
                code: "NetworkError".to_owned(),
                message: aws_smithy_types::error::display::DisplayErrorContext(&err).to_string(),
            },
            _ => Error::AwsCallFailed {
                operation: operation.to_owned(),
                code: "ClientError".to_owned(),
                message: aws_smithy_types::error::display::DisplayErrorContext(&err).to_string(),
                hint: None,
            },
        }
    }

    /// Builds the error from an AWS error code and message.
    pub fn from_metadata(operation: &str, meta: &ErrorMetadata) -> Self {
        let code = meta.code().unwrap_or("Unknown").to_owned();
        let message = meta.message().unwrap_or("").trim().to_owned();
        if meta.code().is_none() && message.is_empty() {
            // "Unknown: " tells nobody anything: say what is known and where to look.
            return Error::AwsCallFailed {
                operation: operation.to_owned(),
                code,
                message: "AWS answered with an error that has neither a code nor a message (an endpoint that is not the service's: a wrong Region, or a proxy or emulator in AWS_ENDPOINT_URL)".to_owned(),
                hint: Some(NO_CODE_NOR_MESSAGE_FIX),
            };
        }
        if is_transient(operation, &code) {
            return Error::Retryable {
                operation: operation.to_owned(),
                code,
                message,
            };
        }
        Error::AwsCallFailed {
            operation: operation.to_owned(),
            hint: hint_for(&code),
            code,
            message,
        }
    }
}

/// The fix of an error AWS gave no code nor message for.
const NO_CODE_NOR_MESSAGE_FIX: &str = "check target.region (a Region RDS has, enabled in the account) and AWS_ENDPOINT_URL if the function sets one, then start the same input again";

/// The fix of an endpoint whose host name does not exist.
const ENDPOINT_NOT_RESOLVED_FIX: &str = "check target.region: a Region that does not exist, or an opt-in Region not enabled in the account, has no endpoint; give the database's Region (e.g. `us-east-1`)";

/// The cause when a call's endpoint host name does not exist (DNS answered "no such name"),
/// naming the endpoint when the error chain does; `None` for any other dispatch failure.
///
/// Such a failure is permanent: retrying it for minutes as a network fault helps nobody. A
/// resolver that is only unavailable (`EAI_AGAIN`, "Temporary failure in name resolution")
/// is not matched and stays retryable. Kept apart from the other classifications on purpose
/// (a credentials failure is classified by its own function).
pub(crate) fn endpoint_not_resolved(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    const NO_SUCH_NAME: [&str; 4] = [
        "name or service not known", // glibc EAI_NONAME (Lambda's Amazon Linux)
        "nodename nor servname provided", // BSD / macOS EAI_NONAME
        "no address associated with hostname", // EAI_NODATA
        "no such host is known",     // Windows WSAHOST_NOT_FOUND
    ];
    let mut chain = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        chain.push(e.to_string());
        next = e.source();
    }
    let text = chain.join(": ").to_ascii_lowercase();
    let dns = text.contains("dns error") || text.contains("failed to lookup address");
    if !(dns && NO_SUCH_NAME.iter().any(|n| text.contains(n))) {
        return None;
    }
    let endpoint = chain
        .iter()
        .flat_map(|c| c.split(|ch: char| ch.is_whitespace() || ch == '`' || ch == '"'))
        .find(|w| w.contains(".amazonaws.com") || w.starts_with("http"))
        .map(|w| format!(" ({w})"))
        .unwrap_or_default();
    Some(format!(
        "the endpoint's host name{endpoint} does not exist: DNS answered \"{}\"; no request reached AWS",
        chain.last().map(String::as_str).unwrap_or("no such name")
    ))
}

/// The fix when a member account refuses the hub's AssumeRole.
const MEMBER_ROLE_FIX: &str = "the member account does not let this hub assume its role: deploy member-account.yaml in that account (StackSets) with this hub's function roles as trusted principals and this hub's external id (the member stack's ExternalId = the hub stack's TargetExternalId), or fix target.roleArn / target.accountId; retrying does not help";

/// A call that never reached RDS because the member-account credentials could not be had.
///
/// The Rust SDK resolves credentials inside the calling operation: a refused AssumeRole
/// surfaces as a dispatch failure of, say, DescribeBlueGreenDeployments, with the
/// credentials provider's error as its source, not as a service error. Read as a network
/// fault it would be retried for minutes; it is classified by its source instead: a refusal
/// (STS `AccessDenied`, "not authorized to perform: sts:AssumeRole") is `AwsCallFailed` with
/// code `AccessDenied` and the member-account fix, at once. A provider that only timed out
/// stays transient.
fn refused_credentials(operation: &str, err: &(dyn std::error::Error + 'static)) -> Option<Error> {
    use aws_credential_types::provider::error::CredentialsError;
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(current) = source {
        if let Some(credentials) = current.downcast_ref::<CredentialsError>() {
            // The provider's own words (clients.rs: "AssumeRole <role> failed: <code>: <message>").
            let message = match std::error::Error::source(credentials) {
                Some(why) => why.to_string(),
                None => credentials.to_string(),
            };
            return match credentials {
                CredentialsError::ProviderTimedOut(_) => None,
                _ => Some(Error::AwsCallFailed {
                    operation: operation.to_owned(),
                    code: "AccessDenied".to_owned(),
                    message: format!("the member-account credentials were refused: {message}"),
                    hint: Some(MEMBER_ROLE_FIX),
                }),
            };
        }
        source = current.source();
    }
    None
}

/// AWS error codes that mean "try again later", not "this is wrong", for this operation.
///
/// Throttling and service faults are transient everywhere. A busy instance or cluster
/// (InvalidDBInstanceState, InvalidDBClusterStateFault: "the DB instance isn't in a valid
/// state", RDS API Reference) passes once it is `available` again. The API reference says
/// InvalidBlueGreenDeploymentStateFault means "the blue/green deployment can't be switched
/// over or deleted because there is an invalid configuration in the green environment": not
/// transient, except for a switchover right after AVAILABLE, while a green member still
/// settles (terraform-provider-aws #36241), which the state machine retries for minutes.
fn is_transient(operation: &str, code: &str) -> bool {
    match code {
        "Throttling"
        | "ThrottlingException"
        | "RequestLimitExceeded"
        | "TooManyRequestsException"
        | "RequestThrottled"
        | "ServiceUnavailable"
        | "InternalFailure"
        | "InternalError"
        | "InvalidDBInstanceState"
        | "InvalidDBClusterStateFault"
        | "InvalidDBInstanceStateFault" => true,
        "InvalidBlueGreenDeploymentStateFault" => operation == "SwitchoverBlueGreenDeployment",
        _ => false,
    }
}

/// The fix for the AWS errors people meet when creating and cleaning up deployments.
fn hint_for(code: &str) -> Option<&'static str> {
    Some(match code {
        "SourceDatabaseNotSupportedFault" | "SourceClusterNotSupportedFault" => {
            "RDS does not support this source for Blue/Green as it is now; AWS's message says why. Usual causes: another Blue/Green deployment already uses the source (finish or delete it first), binary logging off on Aurora MySQL (set binlog_format to ROW in the cluster parameter group and reboot the writer), a MySQL lower_case_table_names that green's default group would change (set options.targetDbParameterGroupName to a group with the same value), PostgreSQL without logical replication where Blue/Green replicates logically (Aurora PostgreSQL, or an RDS for PostgreSQL major upgrade: set rds.logical_replication to 1 in a custom parameter group and reboot), an RDS for PostgreSQL source too old for a major upgrade (15.3, 14.8, 13.11, 12.15, 11.20 and lower: upgrade its minor version first), or an unsupported feature (Secrets Manager-managed password, RDS Proxy, cascading or cross-Region replicas). Run the dry-run action to see the precheck report"
        }
        "KMSKeyNotAccessibleFault" => "RDS cannot use the source's KMS key: re-enable the key (or cancel its deletion) and let RDS use it (key policy or grants for the account's RDS service), then start again",
        "BlueGreenDeploymentAlreadyExistsFault" => "a deployment with this name exists: choose another options.deploymentName, or let the workflow adopt it (same database)",
        "InvalidBlueGreenDeploymentStateFault" => "the deployment is not in a state that allows this (e.g. green cannot be deleted after switchover, or green has an invalid configuration): check the deployment's status in the RDS console",
        "DBParameterGroupNotFound" | "DBParameterGroupNotFoundFault" => "create the instance parameter group for the target family, or fix options.targetDbParameterGroupName",
        "DBClusterParameterGroupNotFound" | "DBClusterParameterGroupNotFoundFault" => {
            "create the cluster parameter group for the target family, or fix options.targetDbClusterParameterGroupName"
        }
        "InvalidParameterCombination" | "InvalidParameterValue" => "an option does not fit this engine or version: check options against the engine's valid upgrade targets",
        "BlueGreenDeploymentNotFoundFault" => "the deployment was deleted or never existed: check the deployment id",
        "DBClusterNotFoundFault" | "DBInstanceNotFound" | "DBInstanceNotFoundFault" => "check target.identifier, target.region and target.accountId",
        "StorageQuotaExceeded" | "InstanceQuotaExceeded" | "DBClusterQuotaExceededFault" | "SnapshotQuotaExceeded" => {
            "an account quota is reached: raise it in Service Quotas or delete unused resources"
        }
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" => "the function's role (or target.roleArn) lacks this permission",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How the SDK reports a refused AssumeRole: a dispatch failure of the calling operation
    /// whose source is the credentials provider's error (facts: "classify it by its source").
    #[test]
    fn a_refused_assume_role_is_access_denied_with_the_member_fix_not_retryable() {
        use aws_credential_types::provider::error::CredentialsError;
        use aws_sdk_rds::error::ConnectorError;
        use aws_sdk_rds::error::SdkError;
        let refused = CredentialsError::provider_error("AssumeRole arn:aws:iam::210987654321:role/rds-bluegreen-read failed: service error: AccessDenied: User is not authorized to perform: sts:AssumeRole");
        let err: SdkError<aws_sdk_rds::operation::describe_blue_green_deployments::DescribeBlueGreenDeploymentsError, _> =
            SdkError::dispatch_failure(ConnectorError::other(Box::new(refused), None));
        let e = Error::from_sdk("DescribeBlueGreenDeployments", err);
        assert_eq!(e.name(), "AwsCallFailed", "{e}");
        let text = e.to_string();
        assert!(
            text.contains("AccessDenied")
                && text.contains("member-account.yaml")
                && text.contains("external id"),
            "{text}"
        );
        let timed_out = CredentialsError::provider_timed_out(std::time::Duration::from_secs(5));
        let err: SdkError<aws_sdk_rds::operation::describe_blue_green_deployments::DescribeBlueGreenDeploymentsError, _> =
            SdkError::dispatch_failure(ConnectorError::other(Box::new(timed_out), None));
        assert_eq!(
            Error::from_sdk("DescribeBlueGreenDeployments", err).name(),
            "Retryable"
        );
    }

    #[test]
    fn every_variant_name_is_listed() {
        let samples = [
            Error::invalid("f", "p", "x"),
            Error::PrecheckFailed {
                report: "{}".into(),
            },
            Error::DeploymentFailed {
                deployment: "d".into(),
                status: "s".into(),
                details: "x".into(),
            },
            Error::UnknownStatus {
                what: "w".into(),
                value: "v".into(),
                resource: "r".into(),
            },
            Error::unsafe_to_delete("r", "x"),
            Error::NotReady { reason: "r".into() },
            Error::Retryable {
                operation: "o".into(),
                code: "c".into(),
                message: "m".into(),
            },
            Error::AwsCallFailed {
                operation: "o".into(),
                code: "c".into(),
                message: "m".into(),
                hint: None,
            },
            Error::NotFound {
                what: "w",
                id: "i".into(),
                region: None,
            },
            Error::DeploymentConflict {
                name: "n".into(),
                existing_source: "a".into(),
                wanted_source: "b".into(),
            },
            Error::VerificationFailed {
                database: "d".into(),
                reason: "r".into(),
            },
            Error::WaitTimedOut {
                stage: "s".into(),
                attempts: 1,
            },
            Error::WindowMissed {
                opens: "o".into(),
                closes: "c".into(),
                now: "n".into(),
            },
            Error::Configuration("c".into()),
            Error::SwitchoverRolledBack {
                deployment: "d".into(),
                production: "p".into(),
                green: "g".into(),
                at: "t".into(),
            },
            Error::SnapshotFailed {
                snapshot: "s".into(),
                database: "d".into(),
                status: "failed".into(),
            },
            Error::Locked {
                key: "k".into(),
                holder: "h".into(),
            },
            Error::WokenEarly {
                key: "k".into(),
                purpose: "green".into(),
            },
            Error::WaitOver {
                key: "k".into(),
                purpose: "green".into(),
                phase: "ready".into(),
            },
        ];
        let names: Vec<_> = samples.iter().map(Error::name).collect();
        assert_eq!(names, Error::ALL_NAMES);
        for r in Error::RETRYABLE_NAMES {
            assert!(Error::ALL_NAMES.contains(r));
        }
    }

    /// A real client (the SDK's own HTTP stack and resolver) against a host name that cannot
    /// exist (`.invalid`, RFC 6761): one permanent error naming the cause and the fix.
    #[tokio::test]
    async fn an_endpoint_that_does_not_resolve_is_told_as_such_and_not_retried() {
        let config = aws_sdk_rds::Config::builder()
            .behavior_version(aws_sdk_rds::config::BehaviorVersion::latest())
            .region(aws_sdk_rds::config::Region::new("us-east-1"))
            .endpoint_url("http://rds.bgd-test.invalid")
            .http_client(crate::aws::http::https_client())
            .credentials_provider(aws_sdk_rds::config::Credentials::for_tests())
            .build();
        let started = std::time::Instant::now();
        let err = aws_sdk_rds::Client::from_conf(config)
            .describe_db_clusters()
            .send()
            .await
            .unwrap_err();
        let err = Error::from_sdk("DescribeDBClusters", err);
        assert_eq!(err.name(), "AwsCallFailed", "{err}");
        let text = err.to_string();
        for expected in [
            "EndpointNotResolved",
            "does not exist",
            "Fix: check target.region",
        ] {
            assert!(text.contains(expected), "{expected:?} in {text}");
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(30));
    }

    #[test]
    fn an_error_without_code_nor_message_still_has_a_cause_and_a_fix() {
        let err = Error::from_metadata("DescribeDBClusters", &ErrorMetadata::builder().build());
        let text = err.to_string();
        assert!(!text.contains("Unknown: ."), "{text}");
        assert!(text.contains("neither a code nor a message"), "{text}");
        assert!(text.contains("Fix: check target.region"), "{text}");
    }

    #[test]
    fn throttling_is_retryable_and_keeps_the_code() {
        let meta = ErrorMetadata::builder()
            .code("Throttling")
            .message("Rate exceeded")
            .build();
        let err = Error::from_metadata("DescribeDBClusters", &meta);
        assert_eq!(err.name(), "Retryable");
        assert!(err.to_string().contains("Throttling: Rate exceeded"));
    }

    fn classify(operation: &str, code: &str) -> Error {
        Error::from_metadata(
            operation,
            &ErrorMetadata::builder().code(code).message("m").build(),
        )
    }

    #[test]
    fn a_blue_green_state_fault_is_transient_only_at_switchover() {
        assert_eq!(
            classify(
                "SwitchoverBlueGreenDeployment",
                "InvalidBlueGreenDeploymentStateFault"
            )
            .name(),
            "Retryable"
        );
        let delete = classify(
            "DeleteBlueGreenDeployment",
            "InvalidBlueGreenDeploymentStateFault",
        );
        assert_eq!(delete.name(), "AwsCallFailed");
        assert!(delete.to_string().contains("Fix: "), "{delete}");
        assert_eq!(
            classify("DeleteDBCluster", "InvalidDBClusterStateFault").name(),
            "Retryable"
        );
    }

    #[test]
    fn every_create_refusal_keeps_aws_code_and_gets_a_fix() {
        for code in [
            "SourceDatabaseNotSupportedFault",
            "SourceClusterNotSupportedFault",
            "KMSKeyNotAccessibleFault",
            "BlueGreenDeploymentAlreadyExistsFault",
            "DBParameterGroupNotFound",
            "DBClusterParameterGroupNotFound",
            "InstanceQuotaExceeded",
        ] {
            let err = classify("CreateBlueGreenDeployment", code);
            assert_eq!(err.name(), "AwsCallFailed", "{code}");
            let text = err.to_string();
            assert!(text.contains(code) && text.contains("Fix: "), "{text}");
        }
    }

    #[test]
    fn a_rollback_says_nothing_changed_and_what_to_do() {
        let text = Error::SwitchoverRolledBack {
            deployment: "bgd-1".into(),
            production: "orders".into(),
            green: "orders-green-abcdef".into(),
            at: "2026-12-02T09:00:00Z".into(),
        }
        .to_string();
        for part in [
            "rolled back",
            "RDS-EVENT-0249",
            "orders is unchanged",
            "orders-green-abcdef is kept",
            "\"action\": \"switchover\"",
            "abandon",
        ] {
            assert!(text.contains(part), "{part}: {text}");
        }
    }

    #[test]
    fn unsupported_source_gets_a_fix() {
        let meta = ErrorMetadata::builder()
            .code("SourceDatabaseNotSupportedFault")
            .message("nope")
            .build();
        let err = Error::from_metadata("CreateBlueGreenDeployment", &meta);
        assert_eq!(err.name(), "AwsCallFailed");
        assert!(err.to_string().contains("Fix: "), "{err}");
    }
}
