"""Configuration: one ``Config`` with every key documented.

Every key can be set from the environment as ``TRACKER_<KEY>``; ``create_app``
overrides win over both.  Nothing here touches the database.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tracker.errors import ConfigError
from tracker.private_files import create_file
from tracker.importers.file_limits import MB, FileLimits

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SUPPORTED_SCHEMES = ("sqlite", "postgresql", "postgresql+psycopg")


@dataclass(frozen=True)
class Config:
    """All settings of a running tracker.  Environment: ``TRACKER_`` + upper-case name."""

    #: Where instance files live: the SQLite database, the generated secret key,
    #: the initial admin password.  Default: ``instance/`` beside the code.
    instance_path: str = str(PROJECT_ROOT / "instance")
    #: SQLAlchemy URL.  Default: SQLite at ``<instance_path>/tracker.db``.
    #: PostgreSQL: ``postgresql+psycopg://user:pass@host:5432/dbname``.
    database_url: str = ""
    #: Signs session cookies.  Default: generated once into ``<instance_path>/secret_key``.
    secret_key: str = ""
    #: Time zone used for "today", checkpoints and the scheduler.
    timezone: str = "Asia/Shanghai"
    #: Password for the ``admin`` user created by ``tracker admin ensure`` when none exists.
    #: Unset: a random one is generated, printed once and written to ``initial-admin.txt``.
    admin_password: str = ""
    #: Largest upload accepted, in bytes (files above it are refused before reading).
    max_upload_bytes: int = 200 * 1024 * 1024
    #: Hostile-file caps (importers/file_limits.py; each refusal names its limit).  Entries in
    #: an .xlsx/.docx/.ods zip container.
    max_archive_entries: int = 2_000
    #: MB a ledger workbook may decompress to (checked on the bytes actually decompressed).
    max_decompressed_mb: int = 2_000
    #: MB a 绩效目标表 .xlsx/.docx may decompress to.
    max_target_decompressed_mb: int = 50
    #: Largest decompressed ÷ compressed size of one archive entry of 1 MB or more.
    max_compression_ratio: int = 100
    #: Rows of one ledger file (all sheets; a CSV's lines).
    max_ledger_rows: int = 2_000_000
    #: Rows of one 绩效目标表 (all sheets or tables).
    max_target_rows: int = 20_000
    #: Rows × columns of one worksheet as the reader lays it out (about 32 bytes a cell).
    max_sheet_cells: int = 40_000_000
    #: Failed logins within a minute, counted per address and per account name, before
    #: further tries from that address or for that account are refused for the minute.
    login_failure_limit: int = 10
    #: Mark the session and remember-me cookies Secure (set to 1 behind HTTPS).
    session_cookie_secure: bool = False
    #: Reverse proxies in front of tracker that set X-Forwarded-For / X-Forwarded-Proto
    #: (1 for one nginx).  0: no such header is trusted; the client address is the peer's.
    proxy_hops: int = 0
    #: SMTP server for alert mail.  Empty: no mail is sent (alerts stay in the inbox).
    smtp_host: str = ""
    #: SMTP port (25 plain / STARTTLS 587 / SSL 465).
    smtp_port: int = 25
    #: SMTP login; empty: no login.
    smtp_username: str = ""
    #: SMTP password (only with ``smtp_username``).
    smtp_password: str = ""
    #: Upgrade the connection with STARTTLS before logging in.
    smtp_starttls: bool = False
    #: Connect with SSL/TLS from the start (port 465); excludes ``smtp_starttls``.
    smtp_ssl: bool = False
    #: The From address of alert mail.
    smtp_sender: str = "tracker@localhost"
    #: Seconds to wait for the SMTP server.
    smtp_timeout: float = 10.0
    #: Address of the site, used for links in mail (e.g. ``https://jixiao.example.gov.cn``).
    public_url: str = ""
    #: Seconds between a standby scheduler's tries to take the lock, and between the active
    #: scheduler's checks that it still holds it (keep it at most 30: a standby then takes
    #: over within a minute after the active one died).
    scheduler_lock_seconds: float = 15.0
    #: How much ``tracker import ledger`` lowers its own CPU priority (``os.nice``) so that the
    #: pages of a server on the same machine go first while a big import runs; 0: not at all.
    import_niceness: int = 10
    #: ``tracker serve`` builds the slow whole-province pages in a process of its own at a lower
    #: CPU priority (``web/builder.py``); False: each worker builds them in a thread.
    build_process: bool = True
    #: Testing mode (set by the test suite only).
    testing: bool = False
    #: Extra Flask settings (tests use this, e.g. to disable CSRF in one test).
    flask: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, overrides: dict[str, Any] | None = None) -> "Config":
        """Defaults ← ``TRACKER_*`` environment ← ``overrides``; then fill derived values."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name == "flask":
                continue
            raw = os.environ.get(f"TRACKER_{f.name.upper()}")
            if raw is not None and raw != "":
                values[f.name] = _coerce(f.name, raw, f.type)
        values.update(overrides or {})
        unknown = set(values) - {f.name for f in fields(cls)}
        if unknown:
            raise ConfigError(f"未知的配置项：{', '.join(sorted(unknown))}")
        config = cls(**values)
        return config._resolved()

    def _resolved(self) -> "Config":
        instance = Path(self.instance_path)
        url = self.database_url or f"sqlite:///{instance / 'tracker.db'}"
        check_database_url(url)
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"未知的时区：{self.timezone}") from None
        if not 0 < self.scheduler_lock_seconds <= 30:
            raise ConfigError("TRACKER_SCHEDULER_LOCK_SECONDS 应大于 0、不超过 30 秒（待命的调度进程"
                              f"须在一分钟内接替），现为 {self.scheduler_lock_seconds:g}")
        return replace(self, database_url=url, secret_key=self.secret_key or _instance_secret(instance))

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def file_limits(self) -> FileLimits:
        """The hostile-file caps handed to the importers."""
        return FileLimits(
            max_archive_entries=self.max_archive_entries,
            max_decompressed_bytes=self.max_decompressed_mb * MB,
            max_target_decompressed_bytes=self.max_target_decompressed_mb * MB,
            max_compression_ratio=self.max_compression_ratio,
            max_ledger_rows=self.max_ledger_rows, max_target_rows=self.max_target_rows,
            max_sheet_cells=self.max_sheet_cells)


def check_database_url(url: str) -> None:
    """Refuse URLs whose scheme tracker does not run on, with a one-line message."""
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in SUPPORTED_SCHEMES:
        raise ConfigError(
            f"不支持的数据库地址“{scheme or url}”，请使用 sqlite:/// 或 postgresql+psycopg://"
        )


def _coerce(name: str, raw: str, annotation: Any) -> Any:
    kind = str(annotation)
    try:
        if kind == "bool":
            return raw.strip().lower() in {"1", "true", "yes", "on"}
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
    except ValueError:
        raise ConfigError(f"TRACKER_{name.upper()} 的值无效：{raw!r}") from None
    return raw


def _instance_secret(instance: Path) -> str:
    """Read the generated secret key, creating it (mode 600) on first use.  Two commands
    started at once on a new instance (two clerks' imports) may both find none: each writes
    its key to a file of its own and links it in place, which only one can do; the other
    reads the key that won, so both sign with the same one."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    key = secrets.token_urlsafe(48)
    own = instance / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
    create_file(own, (key + "\n").encode("ascii"))
    try:
        os.link(own, path)  # atomic, and the key is whole before anyone can read it
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
    finally:
        own.unlink(missing_ok=True)
    return key
