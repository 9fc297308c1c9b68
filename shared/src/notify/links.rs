//! Console links a person opens from a notification: the execution and the database.
//! The console's host depends on the partition (China and GovCloud have their own).

use crate::input::Kind;

/// A labelled link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub label: String,
    pub url: String,
}

fn console(region: &str) -> String {
    if region.starts_with("cn-") {
        "https://console.amazonaws.cn".to_owned()
    } else if region.starts_with("us-gov-") {
        "https://console.amazonaws-us-gov.com".to_owned()
    } else {
        format!("https://{region}.console.aws.amazon.com")
    }
}

/// The execution's page in the Step Functions console; `None` unless `arn` is an execution ARN.
pub fn execution(arn: &str) -> Option<Link> {
    let parts: Vec<&str> = arn.split(':').collect();
    let ok = parts.len() >= 8
        && parts[0] == "arn"
        && parts[2] == "states"
        && parts[5] == "execution"
        && !parts[3].is_empty();
    ok.then(|| Link {
        label: "Execution in Step Functions".to_owned(),
        url: format!(
            "{}/states/home?region={}#/v2/executions/details/{arn}",
            console(parts[3]),
            parts[3]
        ),
    })
}

/// The database's page in the RDS console of its Region.
pub fn database(region: &str, identifier: &str, kind: Option<Kind>) -> Link {
    let cluster = matches!(kind, Some(Kind::Cluster));
    Link {
        label: format!("{identifier} in the RDS console"),
        url: format!(
            "{}/rds/home?region={region}#database:id={identifier};is-cluster={cluster}",
            console(region)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execution_link_uses_the_execution_region() {
        let link = execution("arn:aws:states:eu-west-1:111122223333:execution:bg:run-1").unwrap();
        assert_eq!(
            link.url,
            "https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/arn:aws:states:eu-west-1:111122223333:execution:bg:run-1"
        );
        assert!(execution("run-1").is_none());
    }

    #[test]
    fn database_link_per_kind_and_partition() {
        assert_eq!(
            database("us-east-1", "orders", Some(Kind::Cluster)).url,
            "https://us-east-1.console.aws.amazon.com/rds/home?region=us-east-1#database:id=orders;is-cluster=true"
        );
        assert!(database("eu-west-1", "shop", Some(Kind::Instance))
            .url
            .ends_with("#database:id=shop;is-cluster=false"));
        assert!(database("cn-north-1", "x", None)
            .url
            .starts_with("https://console.amazonaws.cn/rds/"));
        assert!(database("us-gov-west-1", "x", None)
            .url
            .starts_with("https://console.amazonaws-us-gov.com/rds/"));
    }
}
