"""A Distributed Map's `ResultWriter` writes the child workflow executions' results, as AWS does.

AWS: with `ResultWriter` (`arn:aws:states:::s3:putObject`, `Bucket`, `Prefix`), Step Functions
writes under `<Prefix>/<map run id>/` a `manifest.json` naming the result files by status
(`ResultFiles`: `SUCCEEDED`, `FAILED`, `PENDING`, each a list of `{Key, Size}`) and the files
themselves (`SUCCEEDED_0.json`...), each a JSON array with one entry per child workflow
execution: `ExecutionArn`, `Name`, `Input` and `Output` as JSON text, `Status`, `StartDate`,
`StopDate` (a failed child has `Error` and `Cause` instead of `Output`); the Map state's output
is `{MapRunArn, ResultWriterDetails: {Bucket, Key}}` with the manifest's key
(https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html).

moto 5.2.5 writes only the manifest, with every list empty (its code says "TODO: generate result
files"), and drops the results: a workflow that reads its results from S3 reads nothing. This
writes them. The engine keeps no per-child metadata, so each entry's name and ARN derive from
the map run and the item's index; a child's output that is an error (`Error`/`Cause`) is filed
as FAILED.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer.resource_eval import (
    resource_eval_s3,
)

ResourceEvalS3 = resource_eval_s3.ResourceEvalS3


def _entry(map_run_arn: str, index: int, output: Any, now: str) -> tuple[str, dict[str, Any]]:
    name = f"{index:06d}"
    base = {
        "ExecutionArn": f"{map_run_arn.replace(':mapRun:', ':execution:')}:{name}",
        "Name": name,
        "Input": "{}",
        "InputDetails": {"Included": True},
        "StartDate": now,
        "StopDate": now,
        "StateMachineArn": map_run_arn,
        "RedriveCount": 0,
    }
    if isinstance(output, dict) and "Error" in output and len(output) <= 2:
        return "FAILED", {**base, "Status": "FAILED", "Error": output.get("Error"), "Cause": output.get("Cause")}
    return "SUCCEEDED", {**base, "Status": "SUCCEEDED", "Output": json.dumps(output), "OutputDetails": {"Included": True}}


def _handle_put_object(env: Any, resource_runtime_part: Any, state_credentials: Any) -> None:
    parameters = env.stack.pop()
    outputs = env.stack.pop()
    s3_client = ResourceEvalS3._get_s3_client(
        resource_runtime_part=resource_runtime_part,
        state_credentials=state_credentials,
    )
    map_run_record = env.map_run_record_pool_manager.get_all().pop()
    map_run_arn = map_run_record.map_run_arn
    map_run_uuid = map_run_arn.split(":")[-1]
    prefix = parameters.get("Prefix", "")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    folder = f"{prefix}{map_run_uuid}/"
    now = datetime.datetime.now(datetime.timezone.utc).isoformat()
    by_status: dict[str, list[dict[str, Any]]] = {"SUCCEEDED": [], "FAILED": [], "PENDING": []}
    for index, output in enumerate(outputs if isinstance(outputs, list) else []):
        status, entry = _entry(map_run_arn, index, output, now)
        by_status[status].append(entry)
    files: dict[str, list[dict[str, Any]]] = {"SUCCEEDED": [], "FAILED": [], "PENDING": []}
    for status, entries in by_status.items():
        if not entries:
            continue
        key = f"{folder}{status}_0.json"
        body = json.dumps(entries).encode("utf8")
        s3_client.put_object(Bucket=parameters["Bucket"], Key=key, Body=body)
        files[status].append({"Key": key, "Size": len(body)})
    manifest = {"DestinationBucket": parameters["Bucket"], "MapRunArn": map_run_arn, "ResultFiles": files}
    key = f"{folder}manifest.json"
    s3_client.put_object(Bucket=parameters["Bucket"], Key=key, Body=json.dumps(manifest, indent=2).encode("utf8"))
    env.stack.append({"MapRunArn": map_run_arn, "ResultWriterDetails": {"Bucket": parameters["Bucket"], "Key": key}})


def apply() -> None:
    ResourceEvalS3._handle_put_object = staticmethod(_handle_put_object)
