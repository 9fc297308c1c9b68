"""Deploys template.yaml to a running moto server, as `sam deploy` would: the SAM template is
transformed to CloudFormation offline by AWS's own SAM translator (samtranslator, which SAM CLI
and CloudFormation's `AWS::Serverless-2016-10-31` transform use), then created as a
CloudFormation stack on moto. Every resource comes from the template: the rules SAM generates
from `Events` blocks (EventBridgeRule, ScheduleV2) with their targets and roles, the template's
own rules, permissions, roles, functions, state machines, table, topic.

What the transform cannot take from a work tree is replaced as `sam build` / `sam package`
would replace it: a state machine's local `DefinitionUri` file becomes its inline `Definition`
(the same JSON), a function's local `CodeUri` becomes a placeholder package (the code that runs
is the workspace binary, served by `tests/src/lambda.rs` under the function's name).

Prints one JSON object: `stack` (status), `missing` (unconditional resources not created), `resources` (logical id -> type and physical id),
`functions` (logical id -> name, binary, environment), `stateMachines` (logical id -> ARN),
`rules` (name -> pattern, schedule, targets), `schedules` (name -> target).

Usage: template_stack.py <endpoint> <stack-name> [Parameter=Value ...]
"""

from __future__ import annotations

import copy
import json
import os
import sys
from typing import Any

import boto3
from samcli.yamlhelper import yaml_parse
from samtranslator.parser import parser
from samtranslator.translator.translator import Translator

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
# What `sam build` puts where CodeUri names the work tree: a package the transform accepts.
PLACEHOLDER_CODE = "s3://local-build/function.zip"


def sam_template() -> dict[str, Any]:
    """template.yaml with its local files resolved as `sam build` resolves them."""
    with open(os.path.join(ROOT, "template.yaml")) as f:
        template = yaml_parse(f.read())
    for resource in template["Resources"].values():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::Serverless::StateMachine" and isinstance(properties.get("DefinitionUri"), str):
            with open(os.path.join(ROOT, properties.pop("DefinitionUri"))) as f:
                properties["Definition"] = json.load(f)
        if resource["Type"] == "AWS::Serverless::Function" and isinstance(properties.get("CodeUri"), str):
            properties["CodeUri"] = PLACEHOLDER_CODE
    return template


def transform(template: dict[str, Any], parameters: dict[str, str]) -> dict[str, Any]:
    """SAM -> CloudFormation, offline (no managed policy is named by the template)."""
    session = boto3.session.Session(region_name=REGION, **CREDENTIALS)
    translator = Translator(managed_policy_map=None, sam_parser=parser.Parser(), plugins=[], boto_session=session)
    return translator.translate(sam_template=copy.deepcopy(template), parameter_values=dict(parameters),
                                get_managed_policy_map=lambda: {})


def for_moto(cfn: dict[str, Any]) -> dict[str, Any]:
    """Function packages as inline code, which moto's Lambda stores without S3."""
    for resource in cfn["Resources"].values():
        if resource["Type"] == "AWS::Lambda::Function":
            resource["Properties"]["Code"] = {"ZipFile": "local build: tests/src/lambda.rs serves the binary"}
    return cfn


def with_list_defaults(template: dict[str, Any], parameters: dict[str, str]) -> dict[str, str]:
    """`parameters` plus the default of every list parameter, given explicitly: moto 5.2.5 splits
    a CommaDelimitedList it is given but not its default, which CloudFormation also splits
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html)."""
    explicit = dict(parameters)
    for name, parameter in template.get("Parameters", {}).items():
        kind = parameter.get("Type", "String")
        if (kind == "CommaDelimitedList" or kind.startswith("List<")) and "Default" in parameter:
            explicit.setdefault(name, str(parameter["Default"]))
    return explicit


def client(service: str, endpoint: str):  # noqa: ANN201 - boto3 clients are untyped
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION, **CREDENTIALS)


def main() -> None:
    endpoint, stack_name, *overrides = sys.argv[1:]
    template = sam_template()
    parameters = with_list_defaults(template, dict(o.split("=", 1) for o in overrides))
    cfn = for_moto(transform(template, parameters))
    cloudformation = client("cloudformation", endpoint)
    cloudformation.create_stack(
        StackName=stack_name,
        TemplateBody=json.dumps(cfn),
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
    )
    stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    resources = {
        r["LogicalResourceId"]: {"type": r["ResourceType"], "id": r.get("PhysicalResourceId")}
        for r in cloudformation.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]
    }
    # A resource under a condition (e.g. the email subscription without an email) may be absent.
    # Types moto 5.2.5's CloudFormation does not create (it skips them silently): reported
    # apart, by name, so the test pins exactly these and a new gap fails it.
    not_modelled = {"AWS::SQS::QueuePolicy", "AWS::Lambda::EventInvokeConfig"}
    absent = [k for k, r in cfn["Resources"].items() if k not in resources and "Condition" not in r]
    missing = sorted(k for k in absent if cfn["Resources"][k]["Type"] not in not_modelled)
    unmodelled = sorted(f'{k} ({cfn["Resources"][k]["Type"]})' for k in absent if cfn["Resources"][k]["Type"] in not_modelled)
    lam = client("lambda", endpoint)
    functions = {}
    for logical, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        config = lam.get_function_configuration(FunctionName=resources[logical]["id"])
        functions[logical] = {
            "name": config["FunctionName"],
            "binary": resource["Metadata"]["BuildProperties"]["Binary"],
            "timeout": config.get("Timeout"),
            "environment": config.get("Environment", {}).get("Variables", {}),
        }
    events = client("events", endpoint)
    rules = {}
    for rule in events.list_rules()["Rules"]:
        targets = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
        rules[rule["Name"]] = {"pattern": rule.get("EventPattern"), "schedule": rule.get("ScheduleExpression"),
                               "state": rule.get("State"), "targets": targets}
    scheduler = client("scheduler", endpoint)
    schedules = {}
    for summary in scheduler.list_schedules()["Schedules"]:
        got = scheduler.get_schedule(Name=summary["Name"], GroupName=summary.get("GroupName", "default"))
        schedules[summary["Name"]] = {"state": got.get("State"), "expression": got.get("ScheduleExpression"),
                                      "target": got.get("Target")}
    state_machines = {
        logical: r["id"] for logical, r in resources.items() if r["type"] == "AWS::StepFunctions::StateMachine"
    }
    print(json.dumps({
        "stack": stack["StackStatus"],
        "missing": missing,
        "notModelled": unmodelled,
        "resources": resources,
        "functions": functions,
        "stateMachines": state_machines,
        "rules": rules,
        "schedules": schedules,
        "outputs": {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])},
    }, default=str))


if __name__ == "__main__":
    main()
