//! The opt-in tag: a database is managed by this product only when it carries
//! `rds-bluegreen:enrolled = true`. Every mutating or destructive RDS permission of the
//! templates is conditioned on it (docs/security.md), the precheck blocks a database without
//! it, and the deployment is created with it. Blue/Green copies blue's tags to green, and old
//! blue keeps them after switchover, so both sides stay enrolled.

use aws_sdk_rds::types::Tag;

/// The tag's key, as the IAM conditions of `template.yaml` and `member-account.yaml` name it.
pub const KEY: &str = "rds-bluegreen:enrolled";
/// The only value that enrols.
pub const VALUE: &str = "true";

/// The tag, for the deployment the product creates.
pub fn tag() -> Tag {
    Tag::builder().key(KEY).value(VALUE).build()
}

/// Whether these tags enrol the resource.
pub fn is_enrolled(tags: &[Tag]) -> bool {
    tags.iter()
        .any(|t| t.key() == Some(KEY) && t.value() == Some(VALUE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_key_and_value_enrol() {
        assert!(is_enrolled(&[tag()]));
        let other = |k: &str, v: &str| Tag::builder().key(k).value(v).build();
        assert!(!is_enrolled(&[]));
        assert!(!is_enrolled(&[other(KEY, "True")]));
        assert!(!is_enrolled(&[other(KEY, "false")]));
        assert!(!is_enrolled(&[other("bluegreen:enrolled", VALUE)]));
    }
}
