"""Named exceptions raised by the learner package.

Every error the learner raises on purpose derives from :class:`LearnerError`,
so callers (the worker, the CLI) can catch the package's failures in one
place.  Errors about bad input also derive from :class:`ValueError`, so code
that expects the scikit-learn convention keeps working.
"""

from __future__ import annotations


class LearnerError(Exception):
    """Base class for every error raised deliberately by ``learner``."""


class InputError(LearnerError, ValueError):
    """Texts, labels or arrays passed in are unusable (empty, mismatched, unknown label...)."""


class UnknownLabelError(InputError):
    """A label is not one of the classifier's classes."""

    def __init__(self, labels, classes):
        self.labels = list(labels)
        self.classes = list(classes)
        shown = ", ".join(repr(label) for label in self.labels[:10])
        more = "" if len(self.labels) <= 10 else f" (and {len(self.labels) - 10} more)"
        super().__init__(
            f"label(s) {shown}{more} not in classes {self.classes!r}; "
            "pass classes=[...] with every label, or call fit() to retrain with a new label set"
        )


class UnknownStrategyError(LearnerError, ValueError):
    """A query strategy name that is not registered."""

    def __init__(self, name, known):
        self.name = name
        self.known = sorted(known)
        super().__init__(f"unknown query strategy {name!r}; choose one of: {', '.join(self.known)}")


class ModelLoadError(LearnerError, OSError):
    """A model folder or hub name could not be loaded (missing, not cached offline, corrupt)."""


class TrainingCancelled(LearnerError):
    """Training stopped because ``should_stop()`` returned True between two steps.

    The classifier keeps the state it had before the call that was cancelled.
    """

    def __init__(self, step: int, total: int):
        self.step = step
        self.total = total
        super().__init__(f"training cancelled after {step} of {total} steps")
