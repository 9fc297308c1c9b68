//! The payload a hook receives: the stage, the database, the deployment, both sides with their
//! endpoints and versions, and the execution. Built by a read-only step right before the
//! state machine invokes the hook, so the endpoints are the ones of that moment (before
//! switchover green has its own name; after it, green is production and blue is `-oldN`).

use serde::{Deserialize, Serialize};

use super::{Hook, HookKind, HookStage};
use crate::aws::database::{Database, DatabaseSummary};
use crate::aws::deployment::{self, DeploymentRef};
use crate::error::Error;
use crate::input::Request;

/// One side of the deployment as a hook sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Side {
    pub identifier: String,
    pub arn: String,
    /// The writer endpoint (cluster endpoint for Aurora, the instance's address for RDS).
    pub endpoint: Option<String>,
    pub port: Option<i32>,
    pub engine_version: String,
}

/// What the hook is invoked with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HookPayload {
    pub stage: HookStage,
    /// The production name the execution acts on, with its account and Region.
    pub database: String,
    pub engine: String,
    pub account_id: Option<String>,
    pub region: String,
    pub deployment: DeploymentRef,
    pub blue: Side,
    pub green: Side,
    /// The execution's name (`$$.Execution.Name`).
    pub execution: Option<String>,
}

/// The answer of poll-status's `hook-payload`: what to invoke, how long to wait, with what.
/// `hook` is null when the request names no hook for the stage (the state machine skips it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HookCall {
    pub hook: Option<Hook>,
    pub kind: Option<HookKind>,
    pub payload: Option<HookPayload>,
}

/// Reads both sides of the deployment and answers the call for `stage`.
pub async fn call(
    rds: &aws_sdk_rds::Client,
    request: &Request,
    given: Option<&DeploymentRef>,
    stage: Option<HookStage>,
    execution: Option<String>,
) -> Result<HookCall, Error> {
    let stage = stage.ok_or_else(|| {
        Error::invalid(
            "hookStage",
            "is missing",
            "name the stage: afterGreenReady, beforeSwitchover, afterSwitchover or beforeCleanup",
        )
    })?;
    let Some(hook) = request
        .options
        .hooks
        .as_ref()
        .and_then(|h| h.at(stage))
        .cloned()
    else {
        return Ok(HookCall {
            hook: None,
            kind: None,
            payload: None,
        });
    };
    let d = deployment::locate(rds, request, given).await?;
    let kind = request.target.engine.kind();
    let side = |name: &str| {
        let name = name.to_owned();
        async move {
            let db = Database::find(rds, kind, &name)
                .await?
                .ok_or_else(|| Error::NotFound {
                    what: "deployment member",
                    id: name.clone(),
                    region: Some(request.target.region.clone()),
                })?;
            Ok::<Side, Error>(side_of(&db))
        }
    };
    // Before switchover the source is blue; after it the source is old blue (-oldN) and the
    // target is production: the deployment's own Source/Target say which is which.
    let blue = side(d.source_name()).await?;
    let green = side(d.target_name()).await?;
    Ok(HookCall {
        kind: hook.kind(),
        hook: Some(hook),
        payload: Some(HookPayload {
            stage,
            database: request.target.identifier.clone(),
            engine: request.target.engine.api_name().to_owned(),
            account_id: request.target.account_id.clone(),
            region: request.target.region.clone(),
            deployment: d.reference(),
            blue,
            green,
            execution,
        }),
    })
}

fn side_of(db: &Database) -> Side {
    let summary: DatabaseSummary = db.summary();
    let (endpoint, port) = match &db.cluster {
        Some(c) => (c.endpoint().map(str::to_owned), c.port()),
        None => db
            .instances
            .first()
            .and_then(|i| i.endpoint())
            .map(|e| (e.address().map(str::to_owned), e.port()))
            .unwrap_or((None, None)),
    };
    Side {
        identifier: summary.identifier,
        arn: summary.arn,
        endpoint,
        port,
        engine_version: summary.engine_version,
    }
}
