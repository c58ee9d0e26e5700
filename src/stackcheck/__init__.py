"""stackcheck: verify that a running stack matches its architecture decisions, and keep the evidence."""

from stackcheck._exceptions import CouldNotCheck, ProfileError, StackcheckError, UsageError

__version__ = "0.1.0"

__all__ = ["CouldNotCheck", "ProfileError", "StackcheckError", "UsageError", "__version__"]
