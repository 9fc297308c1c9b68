//! The HTTPS client every AWS SDK client of the product uses: the SDK's own hyper client with
//! rustls on `ring`, built as the SDK builds its default one.
//!
//! Why not the SDK's `default-https-client` feature: it selects rustls on `aws-lc-rs`, whose C
//! library (`aws-lc-sys`) is the longest single compile of a cold build, while `ring` is already
//! built for the Slack client (reqwest). The SDK documents the choice of TLS provider on
//! `aws_smithy_http_client::Builder::tls_provider`
//! (<https://docs.rs/aws-smithy-http-client/latest/aws_smithy_http_client/struct.Builder.html>).

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use aws_smithy_http_client::{Builder, ConnectorBuilder};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

/// The HTTPS client for an `SdkConfig`: connect and read timeouts and the sleep come from the
/// SDK's settings per client, proxies from the environment (`HTTPS_PROXY`, `NO_PROXY`), as
/// the SDK's default client does for behavior versions from 2025-08-07 on.
pub fn https_client() -> SharedHttpClient {
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut connector =
            ConnectorBuilder::default().tls_provider(Provider::Rustls(CryptoMode::Ring));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    })
}
