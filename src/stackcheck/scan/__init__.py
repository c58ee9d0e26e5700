"""The scan stage: static scanners (checkov, trivy, bandit, detect-secrets ...) under one finding model and
one waiver policy.

A scanner is one :class:`~stackcheck.scan.scanner.Scanner` built by its module (``checkov.py`` ...) and
listed once in :mod:`stackcheck.scan.registry`. ``stackcheck scan`` (:mod:`stackcheck.scan.command`) runs
them; :mod:`stackcheck.scan.engine` holds the logic shared with the ``scan`` and ``secrets`` suites;
:mod:`stackcheck.scan.toolcache` finds and installs their tools. Kept free of imports: ``report.writer``
imports :mod:`stackcheck.report.sarif`.
"""
