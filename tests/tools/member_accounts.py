"""Deploys member-account.yaml into member accounts of a running moto server, as StackSets
would: for each account id given, an AssumeRole into that account (moto keeps one world per
account) and a CloudFormation stack from the template itself, so the roles the hub's functions
assume in the fleet tests are the template's. Prints one line per account: `<account> <stack status>
<roles>`.

With `--forward-events REGION,...` each account's stack also forwards its RDS events to the hub's
default bus (HubEventBusArn) from `region` and from every Region listed, as StackSets deploys
one template to every Region: the roles only in `region` (RolesRegion), the forwarding rule in
each. One more line per account and listed Region: `<account>@<Region> <stack status> <rules>`.

Usage: member_accounts.py <endpoint> <hub-account> <external-id> <region> <account>...
       [--forward-events REGION,...]
"""

from __future__ import annotations

import os
import sys
from typing import Any

import boto3

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STACK = "rds-bluegreen-member"


def main() -> None:
    args = sys.argv[1:]
    forward_from: list[str] | None = None
    if "--forward-events" in args:
        at = args.index("--forward-events")
        forward_from = [r for r in args[at + 1].split(",") if r]
        del args[at : at + 2]
    endpoint, hub, external_id, region, *accounts = args
    with open(os.path.join(ROOT, "member-account.yaml")) as f:
        template = f.read()
    principal = lambda name: f"arn:aws:iam::{hub}:role/{name}"  # noqa: E731
    parameters = {
        "ReadPrincipalArns": ",".join(principal(n) for n in ("precheck", "poll-status", "notify")),
        "CreatePrincipalArn": principal("create"),
        "SwitchoverPrincipalArn": principal("switchover"),
        "DeletePrincipalArn": principal("delete-old"),
        "ExternalId": external_id,
    }
    if forward_from is not None:
        parameters["RolesRegion"] = region
        parameters["HubEventBusArn"] = f"arn:aws:events:{region}:{hub}:event-bus/default"
    sts = boto3.client("sts", endpoint_url=endpoint, region_name=region,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    for account in accounts:
        creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
                                RoleSessionName="stacksets")["Credentials"]
        status = _deploy(_client("cloudformation", endpoint, region, creds), template, parameters)
        roles = sorted(
            r["RoleName"]
            for r in _client("iam", endpoint, region, creds).list_roles()["Roles"]
            if r["RoleName"].startswith("rds-bluegreen-") and "-rds-events-" not in r["RoleName"]
        )
        print(account, status, ",".join(roles), flush=True)
        for other in [r for r in forward_from or [] if r != region]:
            status = _deploy(_client("cloudformation", endpoint, other, creds), template, parameters)
            rules = [r["Name"] for r in _client("events", endpoint, other, creds).list_rules()["Rules"]]
            print(f"{account}@{other}", status, ",".join(sorted(rules)), flush=True)


def _client(service: str, endpoint: str, region: str, creds: dict[str, Any]) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name=region,
                        aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"])


def _deploy(cfn: Any, template: str, parameters: dict[str, str]) -> str:
    """The member stack in one account and Region; its status."""
    cfn.create_stack(
        StackName=STACK,
        TemplateBody=template,
        Capabilities=["CAPABILITY_NAMED_IAM"],
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
    )
    return cfn.describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"]


if __name__ == "__main__":
    main()
