"""Errors that speak to the user.

Every error raised on purpose by tracker is a ``TrackerError``.  Each child maps to
one HTTP status (for the web) and one exit code (for the CLI); its message is the
Chinese text the user reads.  ``location`` names where in a file the problem is.
"""

from __future__ import annotations


class TrackerError(Exception):
    """Base of all deliberate errors.  ``str(err)`` is the user's message."""

    http_status = 400
    exit_code = 1

    def __init__(self, message: str, *, location: str | None = None) -> None:
        self.message = message
        self.location = location
        super().__init__(f"{location}：{message}" if location else message)


class ConfigError(TrackerError):
    """The configuration cannot work (bad database URL, unreachable server...)."""

    exit_code = 3


class DatabaseVersionError(ConfigError):
    """The database schema is newer or older than this code expects."""


class ImportRejected(TrackerError):
    """A file was refused; nothing was imported.  ``location`` names file/sheet/row/column."""

    http_status = 422
    exit_code = 2


class UnrecognisedLayout(ImportRejected):
    """No known layout matched; the message says what was looked for."""


class ChoiceNeeded(ImportRejected):
    """The file was read, but nothing was imported until the user gives or changes a choice on
    the same form (the unit, the period): the upload is kept for that retry, where any other
    refused upload is deleted at once."""


class NotFound(TrackerError):
    http_status = 404
    exit_code = 4


class Forbidden(TrackerError):
    http_status = 403
    exit_code = 5


class ValidationFailed(TrackerError):
    """A form or command argument is invalid."""

    http_status = 400
    exit_code = 2


class EvaluationFrozen(TrackerError):
    """A submitted (frozen) 自评 was asked to change; it never does."""

    http_status = 409
    exit_code = 2
