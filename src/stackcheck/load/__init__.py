"""The load stage (``stackcheck load``): Locust in processes of its own, gated on the profile's ``slo:``.

Modules: ``plan`` (profile → the plan every Locust process reads), ``runner`` (starts and stops the Locust
processes), ``recorder``/``histogram`` (what each process measures), ``stats`` (the merged statistics,
``report.load``), ``gate`` (statistics + ``slo:`` → ``load.*`` results), ``safety`` (loopback only),
``command`` (the CLI stage). Nothing here imports Locust: it runs in ``loadtests/locustfile.py``.
"""
