"""Profile section ``scan.build``: what the seed ADRs promise about how the image is built and run locally.

Each key feeds one custom checkov policy (``policies/checkov/``) through ``stackcheck-params.txt``; a key
left unset promises nothing and its policy stays silent.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

from stackcheck.profile.fields import Section, UrlPath

_DURATION = re.compile(r"^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_IMAGE = re.compile(r"^[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$")


def _check_duration(value: str) -> str:
    if not _DURATION.match(value):
        raise ValueError(f"{value!r} is not a Docker duration; write e.g. 30s, 3s, 1m30s")
    return value


def _check_image(value: str) -> str:
    if not _IMAGE.match(value):
        raise ValueError(f"{value!r} is not an image reference; write e.g. python:3.12-slim or scratch")
    return value


def _check_env(value: dict[str, str]) -> dict[str, str]:
    bad = [k for k in value if not _ENV_NAME.match(k)]
    if bad:
        raise ValueError(f"{bad[0]!r} is not an environment variable name; write e.g. CGO_ENABLED")
    return value


Duration = Annotated[str, AfterValidator(_check_duration)]
Port = Annotated[int, Field(ge=1, le=65535)]


class RdsPromise(Section):
    """The Terraform's RDS database (CKV_SC_22); a key left out is not judged."""

    multi_az: bool | None = Field(None, description="true: each aws_db_instance sets multi_az = true.")
    backup_retention_days: Annotated[int, Field(ge=1, le=35)] | None = Field(
        None, description="Each instance or cluster keeps automated backups at least this many days, e.g. 7."
    )


class CloudwatchAlarmsPromise(Section):
    """The Terraform's CloudWatch alarms (CKV_SC_23): each promised metric has an aws_cloudwatch_metric_alarm
    with alarm_actions (the SNS topic PagerDuty or Slack subscribe to); a key left out is not judged."""

    cpu_percent: Annotated[int, Field(ge=1, le=100)] | None = Field(
        None,
        description="An alarm on CPUUtilization (any namespace: ECS, EC2, RDS) rising above at most this "
        "percent (GreaterThan[OrEqualTo]Threshold, threshold <= it), e.g. 80.",
    )
    memory: bool | None = Field(None, description="true: an alarm on MemoryUtilization (any threshold).")
    alb_5xx: bool | None = Field(
        None,
        description="true: an alarm on HTTPCode_ELB_5XX_Count or HTTPCode_Target_5XX_Count in "
        "AWS/ApplicationELB (a 5xx surge from the ALB).",
    )
    db_connections: bool | None = Field(
        None, description="true: an alarm on DatabaseConnections in AWS/RDS (high DB connection count)."
    )


class HpaPromise(Section):
    """A HorizontalPodAutoscaler (CKV_SC_19); a key left out is not judged."""

    min_replicas: Annotated[int, Field(ge=0)] | None = Field(None, description="spec.minReplicas, e.g. 3.")
    max_replicas: Annotated[int, Field(ge=1)] | None = Field(None, description="spec.maxReplicas, e.g. 10.")
    cpu_percent: Annotated[int, Field(ge=1, le=100)] | None = Field(
        None, description="The CPU average-utilization target, e.g. 70."
    )
    memory_percent: Annotated[int, Field(ge=1, le=100)] | None = Field(
        None, description="The memory average-utilization target, e.g. 80."
    )


class HealthcheckPromise(Section):
    """The final stage's HEALTHCHECK (CKV_SC_12); an option left out is Docker's default."""

    path: UrlPath | None = Field(None, description="URL path of the health command, e.g. /health/ready.")
    interval: Duration | None = Field(None, description="--interval, e.g. 30s (Docker's default 30s).")
    timeout: Duration | None = Field(None, description="--timeout, e.g. 3s (Docker's default 30s).")
    start_period: Duration | None = Field(None, description="--start-period, e.g. 60s (default 0s).")


class BuildSection(Section):
    """Build and deployment claims checked in the Dockerfile, compose file, workflows, manifests and
    Terraform by stackcheck's checkov policies (scan.iac): multi-stage build, exposed ports, HEALTHCHECK,
    base image, build environment, UID, compose Postgres healthcheck, CI steps, RDS, CloudWatch alarms,
    the Terraform state bucket."""

    multi_stage: bool | None = Field(
        None,
        description="true: the Dockerfile has a builder stage and a final stage that copies from it "
        "(CKV_SC_10).",
    )
    expose: list[Port] | None = Field(
        None,
        description="The ports the final stage EXPOSEs, exactly (no more, no fewer), e.g. [8080] "
        "(CKV_SC_11).",
    )
    healthcheck: HealthcheckPromise | None = Field(
        None, description="Path and timings of the final stage's HEALTHCHECK (CKV_SC_12)."
    )
    base_image: Annotated[str, AfterValidator(_check_image)] | None = Field(
        None,
        description="The final stage's base image, e.g. scratch or python:3.12-slim; a patch of the same "
        "line (python:3.12.8-slim) and a digest pin match too (CKV_SC_13).",
    )
    build_env: Annotated[dict[str, str], AfterValidator(_check_env)] = Field(
        default_factory=dict,
        description="Variables the build sets (ENV, ARG or on a RUN line), e.g. {CGO_ENABLED: '0'} "
        "(CKV_SC_14).",
    )
    uid: Annotated[int, Field(ge=0)] | None = Field(
        None, description="The numeric UID the final stage's USER runs as, e.g. 1000 (CKV_SC_15)."
    )
    compose_pg_isready: bool | None = Field(
        None,
        description="true: compose's Postgres services have a healthcheck running pg_isready (CKV_SC_16).",
    )
    read_only: bool | None = Field(
        None,
        description="true: the services compose builds run with `read_only: true` (`docker run --read-only`; "
        "CKV_SC_17; Kubernetes: checkov's CKV_K8S_22).",
    )
    cap_drop_all: bool | None = Field(
        None,
        description="true: the services compose builds drop every capability, `cap_drop: [ALL]` (`docker run "
        "--cap-drop ALL`; CKV_SC_18; Kubernetes: checkov's CKV_K8S_37).",
    )
    ci_runs: list[Annotated[str, Field(min_length=1, max_length=200)]] | None = Field(
        None,
        description="Commands the repository's CI workflow must run, each as a phrase its steps hold (a run: "
        "line with the words in order, or a uses: action named by the first word), e.g. [flake8, black, "
        "mypy, bandit, pytest] or [go test -race, gosec, sqlc generate] (CKV_SC_20).",
    )
    ci_coverage_min: Annotated[float, Field(gt=0, le=100)] | None = Field(
        None,
        description="The test coverage (%) below which the workflow fails, e.g. 80: a step with "
        "--cov-fail-under=N or --fail-under=N, N at least this (CKV_SC_21).",
    )
    rds: RdsPromise | None = Field(
        None, description="The RDS database the Terraform defines: across zones, backups kept (CKV_SC_22)."
    )
    cloudwatch_alarms: CloudwatchAlarmsPromise | None = Field(
        None,
        description="The CloudWatch alarms the Terraform defines, each with an alarm action (CKV_SC_23; "
        'judged on the provider "aws" block).',
    )
    state_bucket_versioned: bool | None = Field(
        None,
        description='true: the aws_s3_bucket the terraform backend "s3" block names has versioning '
        "enabled (CKV_SC_24); a state bucket this Terraform does not define cannot be judged "
        "(scan.iac error).",
    )
    hpa: HpaPromise | None = Field(
        None, description="The Kubernetes HorizontalPodAutoscaler's replica range and targets (CKV_SC_19)."
    )
