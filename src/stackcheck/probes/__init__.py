"""Probes: how stackcheck talks to a target. Each maps transport failures to ``CouldNotCheck``."""

from stackcheck.probes.http import Exchange, HttpProbe

__all__ = ["Exchange", "HttpProbe"]
