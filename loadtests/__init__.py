"""Locustfiles of the load stage (run by ``stackcheck load`` in processes of their own) and test servers."""
