"""One committed secret (detect-secrets rates it high; not a real credential)."""

API_PASSWORD = "thresholds-sample-Pw-5521"
