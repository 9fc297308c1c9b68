//! AWS clients for one target: its Region, and its account through an assumed role.
//!
//! The base configuration (credentials chain, `AWS_ENDPOINT_URL`, retry settings) is loaded
//! once per container; a target only changes the Region and, for another account, the
//! credentials. Building a client from a loaded config is cheap, so clients are made per
//! invocation and nothing about one target leaks into the next.

use aws_config::{sts::AssumeRoleProvider, BehaviorVersion, Region, SdkConfig};

use crate::input::Target;

/// Makes the clients a step needs for a target. Built once in a function's `main`.
#[derive(Clone, Debug)]
pub struct ClientFactory {
    base: SdkConfig,
}

impl ClientFactory {
    /// Loads the default AWS configuration from the environment (honours `AWS_ENDPOINT_URL`).
    pub async fn from_env() -> Self {
        Self::new(aws_config::defaults(BehaviorVersion::latest()).load().await)
    }

    /// Wraps an already loaded configuration (tests point it at the local emulator).
    pub fn new(base: SdkConfig) -> Self {
        Self { base }
    }

    /// The base configuration, for clients that are not per target (SNS, Secrets Manager).
    pub fn base(&self) -> &SdkConfig {
        &self.base
    }

    /// The configuration for one target: its Region, and its role when it names one.
    pub async fn config_for(&self, target: &Target) -> SdkConfig {
        let region = Region::new(target.region.clone());
        let mut builder = self.base.to_builder().region(region.clone());
        if let Some(role) = &target.role_arn {
            let provider = AssumeRoleProvider::builder(role.clone())
                .session_name(session_name(&target.identifier))
                .region(region)
                .configure(&self.base)
                .build()
                .await;
            builder = builder.credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(provider),
            );
        }
        builder.build()
    }

    /// An RDS client for the target.
    pub async fn rds(&self, target: &Target) -> aws_sdk_rds::Client {
        aws_sdk_rds::Client::new(&self.config_for(target).await)
    }
}

/// A session name CloudTrail shows for the calls made on the database's behalf
/// (2-64 characters of `[\w+=,.@-]`).
fn session_name(identifier: &str) -> String {
    let mut name = format!("bluegreen-{identifier}");
    name.truncate(64);
    name
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Engine;

    #[tokio::test]
    async fn target_region_overrides_the_base() {
        let base = SdkConfig::builder()
            .region(Region::new("us-east-1"))
            .behavior_version(BehaviorVersion::latest())
            .build();
        let factory = ClientFactory::new(base);
        let target = Target {
            account_id: None,
            region: "eu-west-1".into(),
            identifier: "orders".into(),
            engine: Engine::Mysql,
            role_arn: None,
        };
        let config = factory.config_for(&target).await;
        assert_eq!(config.region().map(|r| r.as_ref()), Some("eu-west-1"));
    }

    #[test]
    fn session_name_is_bounded() {
        assert_eq!(session_name(&"a".repeat(63)).len(), 64);
    }
}
