"""stackcheck: verify that a running stack matches its architecture decisions, and keep the evidence."""

# The process clock starts first: report.json's run.process_wall_s counts from here (stackcheck.clock).
from stackcheck import clock  # noqa: F401
from stackcheck._exceptions import CouldNotCheck, ProfileError, StackcheckError, UsageError

__version__ = "0.1.0"

__all__ = ["CouldNotCheck", "ProfileError", "StackcheckError", "UsageError", "__version__"]
