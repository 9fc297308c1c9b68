"""An rds-bluegreen hook: ANALYZE every database of green, so the PostgreSQL optimizer has
statistics before production moves there (a major upgrade does not carry them over: AWS,
"Upgrading the PostgreSQL DB engine for Amazon RDS", run ANALYZE after the upgrade).

Invoked by the rds-bluegreen state machine with the hook payload (docs/step-contracts.md,
poll-status `hook-payload`): it connects to `green.endpoint` over TLS verified with the RDS CA
bundle (`global-bundle.pem`, next to this file), as the master user whose credentials it reads
from Secrets Manager, and runs ANALYZE in each database that allows connections. Any failure is
raised: the state machine sees a function error and stops with HookFailed (before switchover:
no switchover, green kept).

Credentials: the secret RDS manages for green (`MasterUserSecret`) when green reports one;
otherwise the secret named by the `DATABASE_SECRET_ARN` variable (its ARN only: the password
never leaves Secrets Manager but for this connection). Both hold `username` and `password`.
"""

from __future__ import annotations

import json
import os
import ssl
import time
from typing import Any

import boto3
import pg8000.native

CA_BUNDLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "global-bundle.pem")
STAGES = {"afterGreenReady", "beforeSwitchover", "afterSwitchover", "beforeCleanup"}


def _green(event: dict[str, Any]) -> dict[str, Any]:
    if event.get("stage") not in STAGES or not isinstance(event.get("green"), dict):
        raise ValueError(f"not an rds-bluegreen hook payload: {sorted(event)}")
    if event.get("engine") not in ("postgres", "aurora-postgresql"):
        raise ValueError(f"ANALYZE is for PostgreSQL; {event.get('database')} is {event.get('engine')}")
    green = event["green"]
    if not green.get("endpoint") or not green.get("port"):
        raise ValueError(f"green {green.get('identifier')} has no endpoint yet")
    return green


def _secret_arn(rds: Any, engine: str, identifier: str) -> str:
    """Green's MasterUserSecret, else DATABASE_SECRET_ARN."""
    if engine == "aurora-postgresql":
        found = rds.describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"][0]
    else:
        found = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
    managed = (found.get("MasterUserSecret") or {}).get("SecretArn")
    given = os.environ.get("DATABASE_SECRET_ARN", "")
    if managed:
        return managed
    if given:
        return given
    raise ValueError(
        f"{identifier} reports no MasterUserSecret and DATABASE_SECRET_ARN is not set: "
        "give the ARN of a secret holding the master user's username and password"
    )


def _connect(green: dict[str, Any], credentials: dict[str, str], database: str) -> pg8000.native.Connection:
    if not os.path.exists(CA_BUNDLE):
        raise FileNotFoundError(f"{CA_BUNDLE} is missing: see examples/hooks/analyze/README.md (the RDS CA bundle)")
    context = ssl.create_default_context(cafile=CA_BUNDLE)
    return pg8000.native.Connection(
        user=credentials["username"],
        password=credentials["password"],
        host=green["endpoint"],
        port=int(green["port"]),
        database=database,
        ssl_context=context,
        timeout=60,
    )


def handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    green = _green(event)
    region = event.get("region")
    rds = boto3.client("rds", region_name=region)
    secrets = boto3.client("secretsmanager", region_name=region)
    secret = secrets.get_secret_value(SecretId=_secret_arn(rds, event["engine"], green["identifier"]))
    credentials = json.loads(secret["SecretString"])
    began = time.monotonic()
    admin = _connect(green, credentials, "postgres")
    try:
        databases = [row[0] for row in admin.run("SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname")]
    finally:
        admin.close()
    for name in databases:
        connection = _connect(green, credentials, name)
        try:
            connection.run("ANALYZE")
        finally:
            connection.close()
    answer = {
        "stage": event["stage"],
        "green": green["identifier"],
        "analyzed": databases,
        "seconds": round(time.monotonic() - began, 1),
    }
    print(json.dumps(answer))  # no credentials: only names and the time
    return answer
