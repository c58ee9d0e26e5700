"""Profile section of the deploy strategy: a blue-green switch behind a proxy, and its rollback window."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from stackcheck.profile.fields import Section, UrlPath

__all__ = ["DeploySection"]


class DeploySection(Section):
    """How a new version goes live: blue-green behind a proxy, gated on green's health, with a rollback
    window (``drill.bluegreen`` rehearses it on two launches of ``service.command`` behind HAProxy)."""

    strategy: Literal["bluegreen"] = Field(
        "bluegreen",
        description="The deploy strategy: `bluegreen` (two instances, traffic switched between them by the "
        "proxy in front).",
    )
    health_path: UrlPath | None = Field(
        None,
        description="The path the gate checks on green before traffic is switched to it (HAProxy's "
        "`option httpchk` and stackcheck's own GETs; a 2xx answer is healthy). Default: health.ready, "
        "else health.live.",
    )
    load_path: UrlPath = Field(
        "/",
        description="The path the drill's paced load requests through the proxy during the switch and the "
        "rollback; every answer must be the one blue gave before the drill.",
    )
    rollback_window_s: Annotated[float, Field(gt=0, le=86400)] = Field(
        60,
        description="Seconds after the switch during which traffic can go back to blue: the drill rolls "
        "back within them and blue must then serve every request again. The drill never waits the window "
        "out: it rolls back after `switch_requests` requests on green, or at half the window if sooner.",
    )
    switch_requests: Annotated[int, Field(ge=5, le=500)] = Field(
        20,
        description="Requests of the paced load in each phase of the drill: on blue before the switch, on "
        "green after it, on blue after the rollback.",
    )
    rate_per_s: Annotated[float, Field(gt=0, le=100)] = Field(
        20, description="Pace of the drill's load, requests per second (each on a new connection)."
    )
    gate_timeout_s: Annotated[float, Field(gt=0, le=300)] = Field(
        10,
        description="How long green may take to pass its health checks after it starts; still unhealthy "
        "then, the gate refuses it and blue keeps the traffic.",
    )
    health_gate: bool = Field(
        True,
        description="Whether the switch waits for green's health (HAProxy checks green and stackcheck GETs "
        "its health path). `false`: traffic is switched without a gate, as a deploy script without one "
        "does; the drill still reads green's health and fails when it switched to an unhealthy green.",
    )
    green_command: Annotated[list[str], Field(min_length=1)] | None = Field(
        None,
        description="Program and arguments of green, the new version (placeholders as in service.command). "
        "Default: service.command, the same build as blue.",
    )
