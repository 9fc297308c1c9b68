"""CloudFormation on moto creates what template.yaml declares, as CloudFormation documents it,
so `tests/tools/template_stack.py` deploys the template (after AWS's SAM transform) as a stack.

moto 5.2.5's CloudFormation:
- creates an `AWS::StepFunctions::StateMachine` without its `DefinitionSubstitutions`, its
  `StateMachineType`, its logging and tracing, and in the backend the API does not serve when
  executions run (`execute_state_machine`): the stack's state machines were invisible and
  their `${...}` placeholders left in. AWS: "DefinitionSubstitutions: A map (string to string)
  that specifies the mappings for placeholder variables in the state machine definition. For
  each key, Step Functions replaces `${key}` with its value", and `StateMachineType` STANDARD
  or EXPRESS (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-stepfunctions-statemachine.html).
- does not know `AWS::Scheduler::Schedule` (what SAM generates from a `ScheduleV2` event,
  https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-property-statemachine-statemachineschedulev2.html;
  https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-scheduler-schedule.html),
  `AWS::SNS::TopicPolicy`
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sns-topicpolicy.html)
  or `AWS::S3::BucketPolicy`
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-s3-bucketpolicy.html):
  it skipped them. Here each is created through the service's own backend, as the API would.
"""

from __future__ import annotations

import json
from typing import Any

from moto.cloudformation import parsing
from moto.core.common_models import CloudFormationModel
from moto.core.config import default_user_config
from moto.moto_api._internal import mock_random
from moto.stepfunctions import models as sfn_models
from moto.stepfunctions.utils import cfn_to_api_tags


def _sfn_backend(account_id: str, region_name: str) -> Any:
    """The backend the Step Functions API serves (the engine's when executions run)."""
    if default_user_config.get("stepfunctions", {}).get("execute_state_machine", False):
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        return stepfunctions_parser_backends[account_id][region_name]
    return sfn_models.stepfunctions_backends[account_id][region_name]


def substitute(definition: str, substitutions: dict[str, Any]) -> str:
    """`${key}` -> value for each key of DefinitionSubstitutions."""
    for key, value in substitutions.items():
        definition = definition.replace("${" + key + "}", str(value))
    return definition


def _create_state_machine(
    cls: Any, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
) -> Any:
    properties = cloudformation_json["Properties"]
    definition = properties.get("DefinitionString") or json.dumps(properties.get("Definition", {}))
    definition = substitute(definition, properties.get("DefinitionSubstitutions", {}))
    return _sfn_backend(account_id, region_name).create_state_machine(
        name=properties.get("StateMachineName", resource_name),
        definition=definition,
        roleArn=properties.get("RoleArn", ""),
        tags=cfn_to_api_tags(properties.get("Tags", [])),
        loggingConfiguration=_lower_first(properties.get("LoggingConfiguration")),
        tracingConfiguration=_lower_first(properties.get("TracingConfiguration")),
        sm_type=properties.get("StateMachineType", "STANDARD"),
    )


def _lower_first(value: Any) -> Any:
    """CloudFormation's `IncludeExecutionData` -> the API's `includeExecutionData`, recursively."""
    if isinstance(value, dict):
        return {k[:1].lower() + k[1:]: _lower_first(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lower_first(v) for v in value]
    return value


class Schedule(CloudFormationModel):
    """`AWS::Scheduler::Schedule`, created with the Scheduler backend's CreateSchedule."""

    def __init__(self, schedule: Any):
        self.schedule = schedule

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Scheduler::Schedule"

    @property
    def physical_resource_id(self) -> str:
        return self.schedule.name

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return self.schedule.arn

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> Schedule:
        from moto.scheduler.models import scheduler_backends

        p = cloudformation_json["Properties"]
        schedule = scheduler_backends[account_id][region_name].create_schedule(
            description=p.get("Description"),
            end_date=p.get("EndDate"),
            flexible_time_window=p.get("FlexibleTimeWindow"),
            group_name=p.get("GroupName"),
            kms_key_arn=p.get("KmsKeyArn"),
            name=p.get("Name", resource_name),
            schedule_expression=p.get("ScheduleExpression"),
            schedule_expression_timezone=p.get("ScheduleExpressionTimezone"),
            start_date=p.get("StartDate"),
            state=p.get("State"),
            target=p.get("Target"),
            action_after_completion=None,
        )
        return cls(schedule)


class TopicPolicy(CloudFormationModel):
    """`AWS::SNS::TopicPolicy`: the document becomes each topic's `Policy` attribute."""

    def __init__(self, name: str):
        self.name = name

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SNS::TopicPolicy"

    @property
    def physical_resource_id(self) -> str:
        return self.name

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> TopicPolicy:
        from moto.sns.models import sns_backends

        p = cloudformation_json["Properties"]
        for topic in p["Topics"]:
            sns_backends[account_id][region_name].set_topic_attribute(
                topic, "Policy", json.dumps(p["PolicyDocument"])
            )
        return cls(f"{resource_name}-{mock_random.get_random_hex(8)}")


class BucketPolicy(CloudFormationModel):
    """`AWS::S3::BucketPolicy`: PutBucketPolicy on the bucket."""

    def __init__(self, name: str):
        self.name = name

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::S3::BucketPolicy"

    @property
    def physical_resource_id(self) -> str:
        return self.name

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str, **kwargs: Any
    ) -> BucketPolicy:
        from moto.s3.models import s3_backends
        from moto.utilities.utils import get_partition

        p = cloudformation_json["Properties"]
        backend = s3_backends[account_id][get_partition(region_name)]
        backend.put_bucket_policy(p["Bucket"], json.dumps(p["PolicyDocument"]).encode())
        return cls(p["Bucket"])


def apply() -> None:
    sfn_models.StateMachine.create_from_cloudformation_json = classmethod(_create_state_machine)  # type: ignore[method-assign]
    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()
