"""The errors Dailies raises on purpose.

Every message names the thing that went wrong and how to fix it, because it is
shown as-is in the UI and on the CLI (one line, no traceback). Code that catches
`DailiesError` can show `str(err)` to a person; anything else is a bug.
"""


class DailiesError(Exception):
    """Base class: a problem a person can understand and act on.

    Its text is always one line: a message that quotes a prompt or a provider's reason would otherwise carry
    their line breaks into the CLI's last stderr line and the UI."""

    def __str__(self) -> str:
        return " ".join(super().__str__().split())


class InputError(DailiesError):
    """Bad input from the user: a missing file, an empty concept, a scene out of range."""


class ConfigError(DailiesError):
    """The environment is not set up: no API key, unknown provider, no ffmpeg."""


class ProviderError(DailiesError):
    """A provider operation failed; the step fails but every finished take is kept."""


class BadAnswer(ProviderError):
    """The provider answered, and was paid, but the answer does not parse (not JSON, or not the asked shape)."""

    def __init__(self, message: str, *, cost_usd: float = 0.0, detail: str = ""):
        super().__init__(message)
        self.cost_usd = cost_usd
        self.detail = detail


class PlanRefused(InputError):
    """A plan with nothing usable (no character, no scene) even after asking again: refused at plan time."""


class AuthError(ProviderError):
    """The provider rejected the credentials: stop the whole job at once."""


class BudgetExceeded(DailiesError):
    """A call would take the project past its budget cap; refused before it is made."""


class MediaError(DailiesError):
    """ffmpeg or an image/video decoder failed on a file."""


class Cancelled(DailiesError):
    """The job was cancelled at a safe point."""

    def __init__(self, message: str = "Cancelled by request; finished takes are kept."):
        super().__init__(message)


class NotFound(InputError):
    """A project, take, slot or job that does not exist."""
