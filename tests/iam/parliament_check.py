"""Runs parliament over every IAM policy of template.yaml and member-account.yaml (as resolved
by tests/iam/export-policies.cjs) and fails on any finding not accepted below.

Each accepted finding names the policy, parliament's issue and the actions, with the reason.
"""

import json
import sys

from parliament import analyze_policy_string

DESCRIBE = "Describe/List calls: RDS scopes them by the resource named in the call; the product lists by filter, so `*`; they read, never change"
SPLIT = "an action with several resource types is granted one resource type per statement, each with its own condition (the tag condition applies to databases, not to parameter groups or new snapshots); parliament reads each statement alone"
BUILD = "calls RDS makes on the caller's behalf while it builds green: green's members have internal names while created (AWS's Blue/Green authorization page), so no name or tag can scope them; they create, never delete"
KMS = "green of an encrypted database uses blue's key; limited to calls through RDS by kms:ViaService"
SWITCH = "calls RDS makes on the caller's behalf at switchover (AWS's Blue/Green authorization pages: only '*' is supported), scoped by the enrolment tag, which blue carries and green carries during switchover (AWS: blue's tags replace green's); parliament does not read the condition"
ABANDON = "calls RDS makes on the caller's behalf when a deployment is deleted with its target (green): only '*' is supported; scoped by the enrolment tag, so abandon is refused where green lacks it; parliament does not read the condition"

STANDARD = "states:DescribeExecution applies to standard and express executions; the fleet and the lock's release machine read the per-database state machine's executions, which are standard, so only that resource type is granted"
HOOK_SM = "the user's hook state machines are run with startExecution.sync:2, which follows (DescribeExecution) and stops their standard executions; express executions are not granted (a hook state machine is a standard one: README \"Hooks\")"
HOOK_SSM = "AWS's Automation policy examples grant ssm:StartAutomationExecution on the runbook's document/<name> and on automation-execution/* (\"Setting up identity based policies examples\", example 1); parliament knows only automation-definition"
ACCEPTED = [
    # (policy name prefix, issue, actions that may appear in it, reason)
    ("", "RESOURCE_STAR", {"rds:DescribeDBClusters", "rds:DescribeDBInstances", "rds:DescribeDBClusterParameterGroups", "rds:DescribeDBClusterParameters", "rds:DescribeDBParameterGroups", "rds:DescribeDBParameters", "rds:DescribeGlobalClusters", "rds:DescribeDBProxies", "rds:DescribeDBProxyTargets", "rds:DescribeIntegrations", "rds:DescribeEventSubscriptions"}, DESCRIBE),
    ("", "RESOURCE_STAR", {"rds:CreateDBCluster", "rds:CreateDBClusterEndpoint", "rds:CreateDBInstance", "rds:CreateDBInstanceReadReplica"}, BUILD),
    ("", "RESOURCE_STAR", {"kms:CreateGrant", "kms:DescribeKey"}, KMS),
    ("", "RESOURCE_STAR", {"rds:ModifyDBCluster", "rds:ModifyDBInstance", "rds:PromoteReadReplica", "rds:PromoteReadReplicaDBCluster"}, SWITCH),
    ("", "RESOURCE_STAR", {"rds:DeleteDBCluster", "rds:DeleteDBClusterEndpoint", "rds:DeleteDBInstance"}, ABANDON),
    ("template.yaml/FleetStateMachine", "RESOURCE_MISMATCH", {"states:DescribeExecution"}, STANDARD),
    ("template.yaml/ReleaseLockStateMachine", "RESOURCE_MISMATCH", {"states:DescribeExecution"}, STANDARD),
    ("template.yaml/StateMachine/", "RESOURCE_MISMATCH", {"states:DescribeExecution"}, HOOK_SM),
    ("template.yaml/StateMachine/", "RESOURCE_MISMATCH", {"ssm:StartAutomationExecution"}, HOOK_SSM),
    ("", "RESOURCE_MISMATCH", {"rds:CreateBlueGreenDeployment", "rds:CreateDBClusterSnapshot", "rds:CreateDBSnapshot", "rds:ModifyDBCluster", "rds:ModifyDBInstance", "rds:DeleteDBCluster"}, SPLIT),
]


def actions_of(detail):
    if isinstance(detail, list):
        return {d["action"] if isinstance(d, dict) else d for d in detail}
    return set()


def main(path):
    policies = json.load(open(path))
    unaccepted = []
    for name, policy in policies.items():
        if name.endswith("/trust"):
            continue  # a trust policy is a resource policy: proven by tests/iam/policies.test.cjs
        analysis = analyze_policy_string(json.dumps(policy), include_community_auditors=False)
        for f in analysis.findings:
            acts = actions_of(f.detail)
            ok = any(name.startswith(prefix) and f.issue == issue and acts and acts <= allowed for prefix, issue, allowed, _ in ACCEPTED)
            if not ok:
                unaccepted.append(f"{name}: {f.issue} {f.severity} {f.detail}")
    for line in unaccepted:
        print(line, file=sys.stderr)
    print(f"parliament: {len(policies)} policies, {len(unaccepted)} unaccepted findings", file=sys.stderr)
    return 1 if unaccepted else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
