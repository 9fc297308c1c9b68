//! Which Blue/Green deployment a re-run of the same input resumes.
//!
//! A deployment "made by this product for this database" has the name the request derives
//! (`naming::deployment_name`) and this database as its source, or, once switched over, as
//! its target (the source is then old blue, `-oldN`). `create` adopts such a deployment
//! instead of failing on its name, and the existing-deployment precheck lets the run go on
//! with it instead of blocking, so starting the same input again after a failure continues
//! from where the world is.

use crate::aws::deployment::Deployment;
use crate::input::Request;
use crate::naming;

/// Whether `d` is the deployment this product made for the request's database.
pub fn made_for(d: &Deployment, request: &Request, database_arn: &str) -> bool {
    d.name == naming::deployment_name(request) && d.belongs_to_arn(database_arn)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::aws::deployment::DeploymentStatus;

    const ORDERS: &str = "arn:aws:rds:us-east-1:123456789012:cluster:orders";
    const OLD: &str = "arn:aws:rds:us-east-1:123456789012:cluster:orders-old1";
    const GREEN: &str = "arn:aws:rds:us-east-1:123456789012:cluster:orders-green-x";

    fn request() -> Request {
        Request::from_value(json!({"target": {"region": "us-east-1", "identifier": "orders", "engine": "aurora-mysql"}, "options": {"targetEngineVersion": "8.0.mysql_aurora.3.08.0"}})).unwrap()
    }

    fn deployment(name: &str, source: &str, target: &str, status: DeploymentStatus) -> Deployment {
        Deployment {
            id: "bgd-1".into(),
            name: name.into(),
            source_arn: source.into(),
            target_arn: target.into(),
            status,
            status_details: None,
            create_time: None,
            tasks: Vec::new(),
            members: Vec::new(),
        }
    }

    #[test]
    fn ours_by_name_and_source_before_and_target_after_switchover() {
        let name = naming::deployment_name(&request());
        for status in [
            DeploymentStatus::Provisioning,
            DeploymentStatus::Available,
            DeploymentStatus::SwitchoverInProgress,
        ] {
            assert!(made_for(
                &deployment(&name, ORDERS, GREEN, status),
                &request(),
                ORDERS
            ));
        }
        assert!(made_for(
            &deployment(&name, OLD, ORDERS, DeploymentStatus::SwitchoverCompleted),
            &request(),
            ORDERS
        ));
        assert!(
            !made_for(
                &deployment(&name, OLD, ORDERS, DeploymentStatus::Available),
                &request(),
                ORDERS
            ),
            "a target that is production only after a completed switchover"
        );
        assert!(
            !made_for(
                &deployment("someone-else", ORDERS, GREEN, DeploymentStatus::Available),
                &request(),
                ORDERS
            ),
            "another name is not ours"
        );
        let other = "arn:aws:rds:us-east-1:123456789012:cluster:payments";
        assert!(!made_for(
            &deployment(&name, other, GREEN, DeploymentStatus::Available),
            &request(),
            ORDERS
        ));
    }
}
