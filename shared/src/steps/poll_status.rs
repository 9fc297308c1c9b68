//! Step (being written).

use crate::aws::clients::ClientFactory;
use crate::error::Error;

/// Runs the step for one event.
pub async fn handle(_event: serde_json::Value, _clients: &ClientFactory) -> Result<serde_json::Value, Error> {
    Err(Error::Configuration("not written yet".into()))
}
