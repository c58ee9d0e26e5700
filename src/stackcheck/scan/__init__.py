"""The scan stage: checkov, trivy, bandit and detect-secrets under one finding model and one waiver policy.

``stackcheck scan`` (:mod:`stackcheck.scan.command`) runs them; :mod:`stackcheck.scan.engine` holds the
logic shared with the ``scan`` and ``secrets`` suites. Kept free of imports: ``report.writer`` imports
:mod:`stackcheck.report.sarif`.
"""
