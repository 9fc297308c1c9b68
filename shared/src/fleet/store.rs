//! The fleet's files in the report bucket, so that no fleet size is limited by Step Functions'
//! 256 KB state: the plan function writes each batch of queues (read by the Distributed Map's
//! `ItemReader`) and the roster; the Map's `ResultWriter` writes the children's results; the
//! notify function reads them, keeps each batch's outcomes and writes the report.
//!
//! ```text
//! fleet/<fleet>/<execution>/plan/wave-<w>-batch-<b>.json   queues (ItemReader)
//! fleet/<fleet>/<execution>/roster.json                      every database, its wave and facts
//! fleet/<fleet>/<execution>/outcomes/wave-<w>-batch-<b>.json each database's outcome
//! fleet/<fleet>/<execution>/report.json, report.csv
//! fleet/results/<map run>/manifest.json, SUCCEEDED_0.json     the Map's ResultWriter (its own folder per run)
//! ```

use aws_sdk_s3::primitives::ByteStream;
use serde::{de::DeserializeOwned, Serialize};

use crate::error::Error;

/// Where one fleet execution keeps its files.
#[derive(Debug, Clone)]
pub struct Store {
    s3: aws_sdk_s3::Client,
    pub bucket: String,
    /// `fleet/<fleet>/<execution>`.
    pub prefix: String,
}

/// An object read, with the version S3 gave (what a report records).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    pub body: String,
    pub version_id: Option<String>,
    pub etag: Option<String>,
}

/// The S3 client for the function's own bucket. A custom endpoint (`AWS_ENDPOINT_URL`, an
/// S3-compatible or local endpoint) is addressed by path, which every such endpoint serves.
pub fn client(base: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::config::Builder::from(base)
        .force_path_style(base.endpoint_url().is_some())
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// `fleet/<fleet>/<execution>`.
pub fn prefix(fleet: &str, execution: &str) -> String {
    format!("fleet/{fleet}/{execution}")
}

/// The key of a batch's queues.
pub fn batch_key(prefix: &str, wave: u32, batch: usize) -> String {
    format!("{prefix}/plan/wave-{wave}-batch-{batch}.json")
}

/// The key of a batch's outcomes.
pub fn outcomes_key(prefix: &str, wave: u32, batch: usize) -> String {
    format!("{prefix}/outcomes/wave-{wave}-batch-{batch}.json")
}

impl Store {
    pub fn new(s3: aws_sdk_s3::Client, bucket: &str, prefix: &str) -> Self {
        Store {
            s3,
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
        }
    }

    /// Reads any object of the bucket (or of `bucket`), pinned to a version or an ETag when
    /// given (`GetObject` `VersionId`, `IfMatch`): a manifest replaced since it was pinned is
    /// refused, not run.
    pub async fn read_pinned(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
        etag: Option<&str>,
    ) -> Result<Read, Error> {
        let out = self
            .s3
            .get_object()
            .bucket(bucket)
            .key(key)
            .set_version_id(version_id.map(str::to_owned))
            .set_if_match(etag.map(str::to_owned))
            .send()
            .await
            .map_err(|e| Error::from_sdk("GetObject", e))?;
        let version_id = out.version_id().map(str::to_owned);
        let etag = out.e_tag().map(str::to_owned);
        let bytes = out.body.collect().await.map_err(|e| Error::Retryable {
            operation: "GetObject".into(),
            code: "NetworkError".into(),
            message: e.to_string(),
        })?;
        let body = String::from_utf8(bytes.into_bytes().to_vec()).map_err(|_| {
            Error::invalid(
                format!("s3://{bucket}/{key}"),
                "is not UTF-8 text",
                "save the file as UTF-8 CSV or JSON",
            )
        })?;
        Ok(Read {
            body,
            version_id,
            etag,
        })
    }

    /// Reads a JSON object of this bucket.
    pub async fn get_json<T: DeserializeOwned>(&self, key: &str) -> Result<T, Error> {
        let read = self.read_pinned(&self.bucket, key, None, None).await?;
        serde_json::from_str(&read.body).map_err(|e| {
            Error::Configuration(format!(
                "s3://{}/{key} is not what the fleet wrote: {e}",
                self.bucket
            ))
        })
    }

    /// Writes a JSON object.
    pub async fn put_json<T: Serialize>(&self, key: &str, value: &T) -> Result<(), Error> {
        let body = serde_json::to_vec(value)
            .map_err(|e| Error::Configuration(format!("cannot serialize {key}: {e}")))?;
        self.put(key, body, "application/json").await
    }

    /// Writes an object.
    pub async fn put(&self, key: &str, body: Vec<u8>, content_type: &str) -> Result<(), Error> {
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| Error::from_sdk("PutObject", e))?;
        Ok(())
    }
}
