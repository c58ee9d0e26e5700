"""A small module with the problems bandit must report (recorded output: tests/data/scan/bandit.json)."""

import subprocess

password = "recorded-Pw-7781"


def run(cmd: str) -> int:
    subprocess.call("true", shell=True)  # nosec B602
    return subprocess.call(cmd, shell=True)
