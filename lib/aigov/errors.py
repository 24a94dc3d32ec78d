"""One error hierarchy for aigov, caught once at the edge (``cli.main``).

Every error carries an ``exit_code`` from docs/contracts/exit-codes.md: 2 for bad input or
usage, 1 when a check found problems. Messages name the file, the line or key, and the
fix, because the person reading them is usually in the middle of an onboarding session.
"""

from __future__ import annotations


class AigovError(Exception):
    """Base of every error aigov raises on purpose."""

    exit_code: int = 2

    def __init__(self, message: str, *, file: str | None = None, location: str | None = None,
                 fix: str | None = None) -> None:
        self.message = message
        self.file = file
        self.location = location
        self.fix = fix
        super().__init__(self.render())

    def render(self) -> str:
        """Return ``file:location: message (fix: ...)`` with the parts that are known."""
        where = ":".join(str(p) for p in (self.file, self.location) if p)
        text = f"{where}: {self.message}" if where else self.message
        if self.fix:
            text += f"\n  fix: {self.fix}"
        return text


class UsageError(AigovError):
    """Bad command-line usage or parameter (exit 2)."""


class SpecError(AigovError):
    """The organization spec is unreadable or invalid (exit 2).

    Raised before any AWS call, so an invalid spec never half-applies. ``findings`` holds
    every problem found, each with its line and key.
    """

    def __init__(self, message: str, *, findings: list | None = None, **kwargs: str | None) -> None:
        self.findings = list(findings or [])
        super().__init__(message, **kwargs)


class InputError(AigovError):
    """A file refused before parsing it for real: too large, not UTF-8, duplicate or
    complex keys, too deep, an alias bomb, NaN (exit 2). ``kind`` says which, so callers
    can turn it into their own finding code; ``line``/``column`` locate it."""

    def __init__(self, message: str, *, kind: str = "input", line: int | None = None,
                 column: int | None = None, **kwargs: str | None) -> None:
        self.kind = kind
        self.line = line
        self.column = column
        if line is not None and not kwargs.get("location"):
            kwargs["location"] = str(line) if column is None else f"{line}:{column}"
        super().__init__(message, **kwargs)


class InternalError(AigovError):
    """An unexpected exception: a bug in aigov (exit 3)."""

    exit_code = 3


class PolicySyntaxError(AigovError):
    """A policy document or template cannot be parsed or rendered (exit 2)."""


class TargetError(AigovError):
    """The AWS target or emulator is unreachable or not what the run needs (exit 2)."""


class ReadOnlyError(TargetError):
    """A write was attempted through a read-only client; nothing was sent (exit 2)."""


class ApplyError(AigovError):
    """An apply step failed at AWS; a re-run resumes from the live state (exit 1)."""

    exit_code = 1


class ChecksFailed(AigovError):
    """A check found problems: lint errors, failed policy tests, drift, a tampered record.

    ``findings`` holds the data behind the message so callers can render or record it.
    """

    exit_code = 1

    def __init__(self, message: str, *, findings: list | None = None, **kwargs: str | None) -> None:
        self.findings = list(findings or [])
        super().__init__(message, **kwargs)


class Interrupted(KeyboardInterrupt):
    """SIGTERM or SIGHUP, handled like Ctrl-C (a KeyboardInterrupt, so every cleanup that
    runs for Ctrl-C runs for them too); ``exit_code`` is 128 + the signal number (143
    for SIGTERM, what systemd and Airflow send; 129 for SIGHUP)."""

    def __init__(self, signum: int) -> None:
        import signal

        self.signum = signum
        self.exit_code = 128 + signum
        self.name = signal.Signals(signum).name
        super().__init__(self.name)
