"""Backup and restore of the database (``tracker db backup FILE`` / ``tracker db restore FILE``).

- **SQLite**: SQLite's online backup API (``sqlite3.Connection.backup``) copies the database in
  one step inside one read transaction: the copy is the database as of one moment, even while
  an import writes (WAL lets the writer go on).  The copy is a single file (journal mode
  DELETE), checked with ``PRAGMA quick_check``.  Restore copies the backup's pages into the live
  file the same way, under the write lock, so no reader sees half of it.
- **PostgreSQL**: ``pg_dump -Fc`` (custom format; one repeatable-read snapshot) and
  ``pg_restore --clean --if-exists --single-transaction`` (all or nothing; cancelled, so rolled
  back, when it waits over 30 s for a lock a still-running server holds).  The password goes
  in ``PGPASSWORD``, never on the command line.  A URL whose ``options`` set a ``search_path``
  backs up that schema only (``-n``); otherwise the whole database.

A backup is written to ``FILE.part`` and renamed when complete, and never replaces an existing
file.  Restore refuses a backup whose schema revision this code does not know (it was made by
newer code), and a live database holding tables the backup lacks (newer schema: downgrade it
first or restore into an empty database).  Both return a ``DatabaseSummary`` (revision and row
count of every table) read back from the database they wrote.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, func, inspect, select, table, text
from sqlalchemy.engine import make_url

from tracker.errors import DatabaseVersionError, TrackerError, ValidationFailed
from tracker.migration import current_revision, is_known_revision


class BackupFailed(TrackerError):
    """A backup or restore could not be made; nothing was changed.  ``details`` keeps the
    tool's own (English) output for the log."""

    exit_code = 6

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.details = details


#: How long a PostgreSQL restore waits for another connection's lock before giving up.
RESTORE_LOCK_WAIT_SECONDS = 30.0

#: The tables a person recognises, in the words they use; the others are counted in the total.
TABLE_LABELS = {"unit": "单位", "app_user": "用户", "project": "项目", "indicator": "指标",
                "ledger_batch": "台账批次", "ledger_row": "台账行", "progress_report": "完成值填报",
                "snapshot": "监控快照", "evaluation": "自评", "audit_entry": "审计记录"}


@dataclass(frozen=True)
class DatabaseSummary:
    """What a database holds: its schema revision and the row count of every table."""

    revision: str | None
    rows: dict[str, int]

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    def describe(self) -> str:
        """One line: the labelled tables' counts, then the totals."""
        known = "、".join(f"{label} {self.rows[name]}" for name, label in TABLE_LABELS.items()
                         if name in self.rows)
        return f"{known}；共 {len(self.rows)} 张表 {self.total_rows} 行"

    def as_json(self) -> dict[str, object]:
        return {"revision": self.revision, "tables": len(self.rows), "total_rows": self.total_rows,
                "rows": self.rows}


def summarize(engine: Engine) -> DatabaseSummary:
    """Revision and row counts of the database behind ``engine``."""
    with engine.connect() as connection:
        names = sorted(inspect(connection).get_table_names())
        rows = {name: connection.execute(select(func.count()).select_from(table(name))).scalar_one()
                for name in names if name != "alembic_version"}
    return DatabaseSummary(current_revision(engine), rows)


def backup(database_url: str, target: Path) -> None:
    """Write a consistent copy of the database to ``target`` (a new file)."""
    target = Path(target)
    if target.exists():
        raise ValidationFailed(f"文件已存在：{target}（备份不会覆盖已有文件，请换一个文件名）")
    if not target.parent.is_dir():
        raise ValidationFailed(f"目录不存在：{target.parent}")
    partial = target.with_name(target.name + ".part")
    partial.unlink(missing_ok=True)
    try:
        if _is_sqlite(database_url):
            _sqlite_backup(_sqlite_path(database_url), partial)
        else:
            _pg_dump(database_url, partial)
        os.chmod(partial, 0o600)  # it holds password hashes
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def backup_revision(database_url: str, source: Path) -> str | None:
    """The schema revision recorded in a backup file (None: the backup has none)."""
    source = Path(source)
    if not source.is_file():
        raise ValidationFailed(f"备份文件不存在：{source}")
    if _is_sqlite(database_url):
        return _sqlite_revision(source)
    return _pg_revision(database_url, source)


def restore(database_url: str, engine: Engine, source: Path) -> None:
    """Replace the whole database with the backup in ``source``, after checking it."""
    revision = backup_revision(database_url, source)
    if revision is None:
        raise BackupFailed(f"{source} 中没有数据库版本记录，不是 tracker 的备份，未恢复")
    if not is_known_revision(revision):
        raise DatabaseVersionError(f"备份的数据库版本 {revision} 比本程序新，请先升级程序再恢复")
    engine.dispose()  # no pooled connection keeps the old schema
    if _is_sqlite(database_url):
        _sqlite_restore(source, _sqlite_path(database_url))
    else:
        _pg_restore(database_url, engine, source)
    engine.dispose()


# --- SQLite ----------------------------------------------------------------------------------


def _is_sqlite(database_url: str) -> bool:
    return database_url.startswith("sqlite")


def _sqlite_path(database_url: str) -> Path:
    database = make_url(database_url).database
    if not database or database == ":memory:":
        raise ValidationFailed("内存数据库无法备份或恢复")
    return Path(database)


def _sqlite_backup(source: Path, partial: Path) -> None:
    if not source.is_file():
        raise BackupFailed(f"数据库文件不存在：{source}")
    live = sqlite3.connect(source, timeout=30)
    copy = sqlite3.connect(partial)
    try:
        live.backup(copy)  # pages=-1: all at once, in one read transaction
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        _sqlite_check(copy, partial)
    finally:
        copy.close()
        live.close()


def _sqlite_check(connection: sqlite3.Connection, path: Path) -> None:
    try:
        result = connection.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError:
        result = "not a database"
    if result != "ok":
        raise BackupFailed(f"{path.name} 不是完好的 SQLite 数据库文件", details=str(result))


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)


def _sqlite_revision(source: Path) -> str | None:
    backup_file = _read_only(source)
    try:
        _sqlite_check(backup_file, source)
        try:
            row = backup_file.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.OperationalError:  # no such table
            return None
        return row[0] if row else None
    finally:
        backup_file.close()


def _sqlite_restore(source: Path, live_path: Path) -> None:
    live_path.parent.mkdir(parents=True, exist_ok=True)
    backup_file = _read_only(source)
    live = sqlite3.connect(live_path, timeout=30)
    try:
        backup_file.backup(live)  # replaces every page, under the live file's write lock
        live.execute("PRAGMA journal_mode=WAL")
    finally:
        live.close()
        backup_file.close()


# --- PostgreSQL ------------------------------------------------------------------------------


def _pg_environment(database_url: str) -> tuple[dict[str, str], str | None]:
    """libpq environment for the URL (password in PGPASSWORD) and the schema its
    ``options`` select, if any."""
    url = make_url(database_url)
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    settings = {"PGHOST": url.host, "PGPORT": url.port, "PGUSER": url.username,
                "PGPASSWORD": url.password, "PGDATABASE": url.database}
    env.update({key: str(value) for key, value in settings.items() if value})
    query = dict(url.query)
    options = query.get("options")
    schema = None
    if isinstance(options, str):
        env["PGOPTIONS"] = options
        match = re.search(r"search_path=([^\s,]+)", options)
        schema = match.group(1).strip('"') if match else None
    if isinstance(query.get("sslmode"), str):
        env["PGSSLMODE"] = query["sslmode"]  # type: ignore[assignment]
    return env, schema


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupFailed(f"找不到 {name}：请安装 PostgreSQL 客户端（版本不低于服务器），并确保它在 PATH 中")
    return found


def _run(command: list[str], env: dict[str, str], what: str) -> str:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        details = result.stderr.strip()
        if "server version mismatch" in details or "unsupported version" in details:
            raise BackupFailed(f"{what}失败：{Path(command[0]).name} 版本低于数据库服务器，请安装更新的 "
                               "PostgreSQL 客户端", details)
        if "connection to server" in details or "could not connect" in details:
            raise BackupFailed(f"{what}失败：数据库不可用（请检查数据库服务）", details)
        if "not a valid archive" in details or ("unrecognized" in details and "format" in details):
            raise BackupFailed(f"{what}失败：文件不是 PostgreSQL 备份（pg_dump 自定义格式）", details)
        raise BackupFailed(f"{what}失败：{Path(command[0]).name} 退出码 {result.returncode}，"
                           "未改动任何数据", details)
    return result.stdout


def _pg_dump(database_url: str, partial: Path) -> None:
    env, schema = _pg_environment(database_url)
    command = [_pg_tool("pg_dump"), "--format=custom", "--file", str(partial)]
    if schema:
        command += ["--schema", schema]
    _run(command, env, "备份")


def _pg_revision(database_url: str, source: Path) -> str | None:
    env, _schema = _pg_environment(database_url)
    script = _run([_pg_tool("pg_restore"), "--data-only", "--table=alembic_version", "--file=-",
                   str(source)], env, "读取备份")
    lines = script.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line:
            value = lines[index + 1] if index + 1 < len(lines) else "\\."
            return None if value == "\\." else value.strip()
    return None


def _pg_tables_in(database_url: str, source: Path) -> set[tuple[str, str]]:
    env, _schema = _pg_environment(database_url)
    listing = _run([_pg_tool("pg_restore"), "--list", str(source)], env, "读取备份")
    found = set()
    for line in listing.splitlines():
        match = re.match(r"^\d+; \d+ \d+ TABLE (\S+) (\S+) ", line)
        if match:
            found.add((match.group(1), match.group(2)))
    return found


def _pg_restore(database_url: str, engine: Engine, source: Path) -> None:
    env, schema = _pg_environment(database_url)
    in_backup = _pg_tables_in(database_url, source)
    with engine.connect() as connection:
        live_schema = schema or connection.exec_driver_sql("SELECT current_schema()").scalar_one()
        live = set(inspect(connection).get_table_names(schema=live_schema))
    extra = sorted(name for name in live if (live_schema, name) not in in_backup)
    if extra:
        raise BackupFailed(f"当前数据库有备份中没有的表（{'、'.join(extra)}），可能比备份新：请先把数据库降级到"
                           "备份的版本（tracker db downgrade），或恢复到一个空数据库。未恢复")
    command = [_pg_tool("pg_restore"), "--clean", "--if-exists", "--single-transaction", "--no-owner",
               "--no-privileges", "--exit-on-error", "--dbname", env.get("PGDATABASE", ""), str(source)]
    _run_watched(command, env, engine)


def _run_watched(command: list[str], env: dict[str, str], engine: Engine) -> None:
    """Run pg_restore; if it waits for another connection's lock (a web server or scheduler
    still running) longer than ``RESTORE_LOCK_WAIT_SECONDS``, cancel it: its single
    transaction rolls back.  (A ``lock_timeout`` cannot do this: the archive sets it to 0.)"""
    name = f"tracker-restore-{secrets.token_hex(4)}"
    env = {**env, "PGAPPNAME": name}
    waiting = text("SELECT pid FROM pg_stat_activity WHERE application_name = :name "
                   "AND wait_event_type = 'Lock'")
    cancelled = False
    with tempfile.TemporaryFile("w+", encoding="utf-8") as errors:
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=errors, text=True)
        blocked_since: float | None = None
        with engine.connect() as watcher:
            while process.poll() is None:
                pids = watcher.execute(waiting, {"name": name}).scalars().all()
                watcher.rollback()
                now = time.monotonic()
                blocked_since = (blocked_since or now) if pids else None
                if pids and not cancelled and now - blocked_since > RESTORE_LOCK_WAIT_SECONDS:
                    for pid in pids:
                        watcher.execute(text("SELECT pg_cancel_backend(:pid)"), {"pid": pid})
                    watcher.rollback()
                    cancelled = True
                time.sleep(0.1)
        errors.seek(0)
        details = errors.read().strip()
    if cancelled:
        raise BackupFailed("恢复失败：数据库正被其他连接使用（请先停止 tracker serve 和 tracker scheduler），"
                           "未改动任何数据", details)
    if process.returncode != 0:
        raise BackupFailed(f"恢复失败：pg_restore 退出码 {process.returncode}，未改动任何数据", details)


__all__ = ["BackupFailed", "DatabaseSummary", "backup", "backup_revision", "restore", "summarize"]
