"""Fixes to moto 5.2.5 so that it behaves like AWS where the product's tests depend on it,
plus the test-only fault route and the Step Functions wiring to `cargo lambda watch`.

Each patch lives in its own module and says which AWS behaviour it restores.
"""

from . import deployment_tags, deployments, delete_target, engine_catalog, faults, resource_ids, sfn_context, sfn_lambda, sfn_status_events, sfn_waits, switchover, switchover_events
from . import call_counts, cfn_template, create_refusals, global_clusters, iam_simulate, pagination, sfn_integrations, sfn_jsonata, sfn_runtime_errors, snapshots, sts_trust, zero_etl
from . import deletions, consistency, event_delivery, rds_events, rds_lifecycle, resource_events, sfn_callbacks, sfn_catch_self, sfn_distributed_map, speed, ssm_automation


def apply() -> None:
    """Applies every patch (idempotent)."""
    resource_ids.apply()
    deployments.apply()
    switchover.apply()
    global_clusters.apply()
    zero_etl.apply()
    deployment_tags.apply()
    switchover_events.apply()
    rds_events.apply()
    deletions.apply()
    create_refusals.apply()
    delete_target.apply()
    engine_catalog.apply()
    pagination.apply()
    faults.apply()
    sfn_context.apply()
    sfn_integrations.apply()
    sfn_lambda.apply()
    sfn_runtime_errors.apply()
    sfn_jsonata.apply()
    speed.apply()
    sfn_waits.apply()
    sfn_callbacks.apply()
    sfn_catch_self.apply()
    sfn_status_events.apply()
    event_delivery.apply()
    sfn_distributed_map.apply()
    rds_lifecycle.apply()
    cfn_template.apply()
    consistency.apply()
    call_counts.apply()
    iam_simulate.apply()
    sts_trust.apply()
    snapshots.apply()
    ssm_automation.apply()
