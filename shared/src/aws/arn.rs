//! The few parts of an RDS ARN the product reads: account, resource type and name.
//!
//! `arn:aws:rds:eu-west-1:123456789012:cluster:orders-old1`

/// A parsed RDS resource ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RdsArn<'a> {
    pub region: &'a str,
    pub account: &'a str,
    /// `cluster`, `db`, `cluster-endpoint`, `deployment`, ...
    pub resource_type: &'a str,
    pub name: &'a str,
}

/// Parses an RDS ARN; `None` for anything else.
pub fn parse(arn: &str) -> Option<RdsArn<'_>> {
    let mut parts = arn.splitn(7, ':');
    let (scheme, _partition, service) = (parts.next()?, parts.next()?, parts.next()?);
    if scheme != "arn" || service != "rds" {
        return None;
    }
    let (region, account, resource_type, name) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    (!name.is_empty()).then_some(RdsArn {
        region,
        account,
        resource_type,
        name,
    })
}

/// The resource name of an ARN, or the text itself when it is not an ARN.
pub fn name_of(arn: &str) -> &str {
    parse(arn).map(|a| a.name).unwrap_or(arn)
}

/// The ARN of another resource of the same account and Region (`cluster-snapshot`, `db`, ...):
/// what an RDS event about it names as its `SourceArn`. `None` when `of` is not an RDS ARN.
pub fn sibling(of: &str, resource_type: &str, name: &str) -> Option<String> {
    let a = parse(of)?;
    let partition = of.split(':').nth(1)?;
    Some(format!(
        "arn:{partition}:rds:{}:{}:{resource_type}:{name}",
        a.region, a.account
    ))
}

/// The `N` of a name RDS gave old blue at switchover (`orders-old1` → 1).
pub fn old_suffix(name: &str) -> Option<u32> {
    let (_, n) = name.rsplit_once("-old")?;
    (!n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())).then(|| n.parse().ok())?
}

/// Whether `name` is what RDS calls `production` after a switchover (`orders-old1`).
pub fn is_old_name_of(name: &str, production: &str) -> bool {
    name.rsplit_once("-old")
        .is_some_and(|(base, _)| base == production)
        && old_suffix(name).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sibling_keeps_partition_account_and_region() {
        assert_eq!(
            sibling(
                "arn:aws-cn:rds:cn-north-1:123456789012:cluster:orders",
                "cluster-snapshot",
                "s1"
            )
            .as_deref(),
            Some("arn:aws-cn:rds:cn-north-1:123456789012:cluster-snapshot:s1")
        );
        assert_eq!(sibling("orders", "db", "x"), None);
    }

    #[test]
    fn parses_cluster_and_instance_arns() {
        let a = parse("arn:aws:rds:eu-west-1:123456789012:cluster:orders-old1").unwrap();
        assert_eq!(
            (a.region, a.account, a.resource_type, a.name),
            ("eu-west-1", "123456789012", "cluster", "orders-old1")
        );
        assert_eq!(name_of("arn:aws:rds:us-east-1:1:db:x"), "x");
        assert_eq!(name_of("plain"), "plain");
        assert!(parse("arn:aws:s3:::bucket").is_none());
    }

    #[test]
    fn old_suffixes() {
        assert_eq!(old_suffix("orders-old1"), Some(1));
        assert_eq!(old_suffix("orders-old12"), Some(12));
        assert_eq!(old_suffix("orders"), None);
        assert_eq!(old_suffix("orders-old"), None);
        assert_eq!(old_suffix("orders-oldx"), None);
        assert_eq!(old_suffix("gold1"), None);
        assert!(is_old_name_of("orders-old1", "orders"));
        assert!(!is_old_name_of("orders-old1", "order"));
        assert!(!is_old_name_of("orders-archive", "orders"));
        assert!(!is_old_name_of("payments-old2", "orders"));
    }
}
