"""Named errors. Every user-facing failure is a LabelloopError with a one-line message."""


class LabelloopError(Exception):
    """Base class: the CLI prints str(error) on one line and exits non-zero."""


class ProjectError(LabelloopError):
    """The project folder is missing, not a project, or inconsistent."""


class InputError(LabelloopError):
    """A file or value given by the user is invalid; nothing was changed."""


class LabelSetError(InputError):
    """A label is not in the project's label set, or the label set change is not allowed."""


class UserError(InputError):
    """A user name, role or password is invalid."""


class AuthError(LabelloopError):
    """Sign-in failed or the role does not allow the action."""
