//! Zero-ETL integrations whose source is a database.
//!
//! AWS ("Limitations and considerations for blue/green deployments", general limitations,
//! <https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/blue-green-deployments-considerations.html>):
//! during switchover the blue and green environments can't have zero-ETL integrations with
//! Amazon Redshift; the integration must be deleted first and recreated after switchover.

use crate::aws::database::collect_pages;
use crate::error::Error;

/// One integration as `DescribeIntegrations` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Integration {
    pub name: String,
    pub arn: String,
    pub status: String,
    pub target_arn: String,
}

/// Every integration whose `SourceArn` is `source_arn` (read from the whole list and matched
/// here: the filter names the API accepts are not needed for one database).
pub async fn from_source(
    rds: &aws_sdk_rds::Client,
    source_arn: &str,
) -> Result<Vec<Integration>, Error> {
    let pages = rds.describe_integrations().into_paginator().send();
    let all = collect_pages(pages, "DescribeIntegrations", |p| p.integrations().to_vec()).await?;
    Ok(all
        .iter()
        .filter(|i| i.source_arn() == Some(source_arn))
        .map(|i| Integration {
            name: i.integration_name().unwrap_or_default().to_owned(),
            arn: i.integration_arn().unwrap_or_default().to_owned(),
            status: i
                .status()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            target_arn: i.target_arn().unwrap_or_default().to_owned(),
        })
        .collect())
}
