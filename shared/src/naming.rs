//! Deterministic names, so that a step run twice finds what its first run made instead of
//! making a second one.

use crate::input::Request;

/// The deployment name used when the request gives none: readable (`bg-orders-8-0-...`) and
/// unique to what is being created, within the 60 characters and the pattern
/// `[a-zA-Z](?:-?[a-zA-Z0-9]+)*` AWS allows.
pub fn deployment_name(request: &Request) -> String {
    if let Some(name) = &request.options.deployment_name {
        return name.clone();
    }
    let o = &request.options;
    let version = o.target_engine_version.as_deref().unwrap_or("same");
    let fingerprint = [
        request.target.account_id.as_deref().unwrap_or(""),
        &request.target.region,
        &request.target.identifier,
        version,
        o.target_db_parameter_group_name.as_deref().unwrap_or(""),
        o.target_db_cluster_parameter_group_name
            .as_deref()
            .unwrap_or(""),
        o.target_db_instance_class.as_deref().unwrap_or(""),
    ]
    .join("\u{1f}");
    let hash = format!("{:08x}", fnv1a(fingerprint.as_bytes()));
    let readable = sanitize(&format!("bg-{}-{}", request.target.identifier, version));
    // Leave room for "-" and the 8-character hash.
    let mut head: String = readable.chars().take(60 - 9).collect();
    while head.ends_with('-') {
        head.pop();
    }
    format!("{head}-{hash}")
}

/// The snapshot of blue taken right before switchover.
pub fn pre_switchover_snapshot(identifier: &str, deployment_id: &str) -> String {
    snapshot_name(identifier, "pre-switchover", deployment_id)
}

/// The final snapshot of old blue taken before it is deleted.
pub fn final_snapshot(old_identifier: &str, deployment_id: &str) -> String {
    snapshot_name(old_identifier, "final", deployment_id)
}

fn snapshot_name(identifier: &str, what: &str, deployment_id: &str) -> String {
    let id = deployment_id.strip_prefix("bgd-").unwrap_or(deployment_id);
    sanitize(&format!("{identifier}-{what}-{id}"))
}

/// Letters, digits and single hyphens; starts with a letter; no trailing hyphen.
fn sanitize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let c = if c.is_ascii_alphanumeric() {
            c.to_ascii_lowercase()
        } else {
            '-'
        };
        if c == '-' && (out.is_empty() || out.ends_with('-')) {
            continue;
        }
        out.push(c);
    }
    while out.ends_with('-') {
        out.pop();
    }
    if !out.starts_with(|c: char| c.is_ascii_alphabetic()) {
        out.insert_str(0, "bg-");
    }
    out
}

/// FNV-1a, 32 bits: a stable hash (std's hasher is randomised per process).
fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5_u32, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::validate_deployment_name;
    use serde_json::json;

    fn request(identifier: &str, version: &str) -> Request {
        Request::from_value(json!({
            "target": {"region": "eu-west-1", "identifier": identifier, "engine": "aurora-mysql"},
            "options": {"targetEngineVersion": version}
        }))
        .unwrap()
    }

    #[test]
    fn derived_names_are_stable_valid_and_distinct() {
        let a = deployment_name(&request("orders", "8.0.mysql_aurora.3.08.0"));
        assert_eq!(
            a,
            deployment_name(&request("orders", "8.0.mysql_aurora.3.08.0"))
        );
        assert!(a.starts_with("bg-orders-8-0-mysql-aurora-3-08-0-"), "{a}");
        validate_deployment_name("n", &a).unwrap();
        assert_ne!(
            a,
            deployment_name(&request("orders", "8.0.mysql_aurora.3.09.0"))
        );
        let long = deployment_name(&request(&"x".repeat(63), "8.0.mysql_aurora.3.08.0"));
        assert!(long.len() <= 60, "{long}");
        validate_deployment_name("n", &long).unwrap();
    }

    #[test]
    fn given_name_wins() {
        let mut r = request("orders", "16.4");
        r.options.deployment_name = Some("mine".into());
        assert_eq!(deployment_name(&r), "mine");
    }

    #[test]
    fn snapshot_names_are_valid_identifiers() {
        assert_eq!(
            pre_switchover_snapshot("orders", "bgd-abc123"),
            "orders-pre-switchover-abc123"
        );
        assert_eq!(
            final_snapshot("orders-old1", "bgd-abc123"),
            "orders-old1-final-abc123"
        );
    }

    #[test]
    fn fnv_matches_reference() {
        assert_eq!(fnv1a(b""), 0x811c_9dc5);
        assert_eq!(fnv1a(b"a"), 0xe40c_292c);
    }
}
