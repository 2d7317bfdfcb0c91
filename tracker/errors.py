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
    """No known layout matched; the message says what was looked for.  ``choices``: the
    columns the file seems to have, (header text, sample value), for a mapping form."""

    def __init__(self, message: str, *, location: str | None = None,
                 choices: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(message, location=location)
        self.choices = choices


class ChoiceNeeded(ImportRejected):
    """The file was read, but nothing was imported until the user gives or changes a choice on
    the same form (the unit, the period): the upload is kept for that retry, where any other
    refused upload is deleted at once.  ``choice`` names the choice (``unit``) when one option
    gives it, so that each edge can say where it is given (the form's field, a CLI option)."""

    def __init__(self, message: str, *, location: str | None = None, choice: str | None = None) -> None:
        super().__init__(message, location=location)
        self.choice = choice


class NotFound(TrackerError):
    http_status = 404
    exit_code = 4


class ValidationFailed(TrackerError):
    """A form or command argument is invalid."""

    http_status = 400
    exit_code = 2


class FormInvalid(ValidationFailed):
    """A form with errors on several fields, all found at once: ``fields`` maps each field's
    name to its message, so a page can show each error next to its field."""

    def __init__(self, fields: dict[str, str]) -> None:
        self.fields = dict(fields)
        super().__init__("；".join(self.fields.values()))


class EvaluationFrozen(TrackerError):
    """A submitted (frozen) 自评 was asked to change; it never does."""

    http_status = 409
    exit_code = 2


class MailFailed(TrackerError):
    """An alert-mail run had mail to send and the server accepted none of it."""

    exit_code = 6


class ImportBusy(TrackerError):
    """Another import, undo or assignment of the same unit kept the database busy (a wait that
    ran out, or conflicts still there after the retries); nothing was changed."""

    http_status = 409
    exit_code = 2


class DatabaseFailure(TrackerError):
    """The database could not do what was asked, for a reason outside the request (disk, locks,
    the server).  The transaction was rolled back; nothing of it was saved.  Made from what
    SQLAlchemy or the driver raised by ``tracker.db_errors.database_failure``."""

    http_status = 503
    #: 75 = EX_TEMPFAIL (sysexits.h): nothing is wrong with the request, try it again later.
    exit_code = 75
    default_message = "数据库出错（本次操作已回滚，未保存任何改动）"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message)


class DiskFull(DatabaseFailure):
    """The disk under the database is full (or failed writing)."""

    http_status = 507  # Insufficient Storage
    exit_code = 74  # EX_IOERR
    default_message = "磁盘空间不足（本次操作已回滚，未保存任何改动）"


class DatabaseBusy(DatabaseFailure):
    """Another writer holds the lock we waited for (SQLite's database lock, a PostgreSQL lock
    timeout): usually an import in progress."""

    default_message = "数据库正忙，可能另一导入正在进行（本次操作已回滚，请稍后重试）"


class DatabaseConflict(DatabaseFailure):
    """Two transactions got in each other's way (PostgreSQL deadlock or serialization failure);
    the database cancelled this one."""

    default_message = "与同时进行的另一操作冲突（已回滚，可重试）"


class ConnectionLost(DatabaseFailure):
    """The connection to the database server broke in the middle of the work."""

    default_message = "连接中断（已回滚，可重试）"


class DatabaseUnavailable(DatabaseFailure):
    """The database cannot be reached or opened at all."""

    exit_code = 3  # as ConfigError: the setup, not the request, has to change
    default_message = "数据库不可用（请检查数据库服务）"
