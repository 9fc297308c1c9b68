"""Deploys member-account.yaml into member accounts of a running moto server, as StackSets
would: for each account id given, an AssumeRole into that account (moto keeps one world per
account) and a CloudFormation stack from the template itself, so the roles the hub's functions
assume in the fleet tests are the template's. Prints one line per account: `<account> <stack status>`.

Usage: member_accounts.py <endpoint> <hub-account> <external-id> <region> <account>...
"""

from __future__ import annotations

import os
import sys

import boto3

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main() -> None:
    endpoint, hub, external_id, region, *accounts = sys.argv[1:]
    with open(os.path.join(ROOT, "member-account.yaml")) as f:
        template = f.read()
    sts = boto3.client("sts", endpoint_url=endpoint, region_name=region,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    principal = lambda name: f"arn:aws:iam::{hub}:role/{name}"  # noqa: E731
    for account in accounts:
        creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
                                RoleSessionName="stacksets")["Credentials"]
        cfn = boto3.client("cloudformation", endpoint_url=endpoint, region_name=region,
                           aws_access_key_id=creds["AccessKeyId"],
                           aws_secret_access_key=creds["SecretAccessKey"],
                           aws_session_token=creds["SessionToken"])
        cfn.create_stack(
            StackName="rds-bluegreen-member",
            TemplateBody=template,
            Capabilities=["CAPABILITY_NAMED_IAM"],
            Parameters=[
                {"ParameterKey": "ReadPrincipalArns", "ParameterValue": ",".join(principal(n) for n in ("precheck", "poll-status", "notify"))},
                {"ParameterKey": "CreatePrincipalArn", "ParameterValue": principal("create")},
                {"ParameterKey": "SwitchoverPrincipalArn", "ParameterValue": principal("switchover")},
                {"ParameterKey": "DeletePrincipalArn", "ParameterValue": principal("delete-old")},
                {"ParameterKey": "ExternalId", "ParameterValue": external_id},
            ],
        )
        status = cfn.describe_stacks(StackName="rds-bluegreen-member")["Stacks"][0]["StackStatus"]
        iam = boto3.client("iam", endpoint_url=endpoint, region_name=region,
                           aws_access_key_id=creds["AccessKeyId"],
                           aws_secret_access_key=creds["SecretAccessKey"],
                           aws_session_token=creds["SessionToken"])
        roles = sorted(r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"].startswith("rds-bluegreen-"))
        print(account, status, ",".join(roles), flush=True)


if __name__ == "__main__":
    main()
