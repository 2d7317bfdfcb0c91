"""Log lines for the console commands (the scheduler): in Chinese, times in the configured zone.

APScheduler's own log lines are English ("Added job", "Running job", a job's traceback): its
loggers are silenced here and the scheduler says what happened itself (``tracker.scheduler``);
tracebacks go to ``<instance>/logs/errors.log`` (``write_error_log``), never to the console."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

FORMAT = "%(asctime)s [%(level_zh)s] %(message)s"
#: Python's level names as the console shows them.
LEVELS_ZH = {"DEBUG": "调试", "INFO": "信息", "WARNING": "警告", "ERROR": "错误", "CRITICAL": "严重"}
ERROR_LOG = Path("logs") / "errors.log"


class ZonedFormatter(logging.Formatter):
    """Stamps each record with its time in ``tz`` (Asia/Shanghai by default), offset shown:
    ``2025-06-30 23:30:00+0800``."""

    def __init__(self, tz: ZoneInfo, fmt: str = FORMAT) -> None:
        super().__init__(fmt)
        self.tz = tz

    def format(self, record: logging.LogRecord) -> str:
        record.level_zh = LEVELS_ZH.get(record.levelname, record.levelname)
        return super().format(record)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return datetime.fromtimestamp(record.created, self.tz).strftime(datefmt or "%Y-%m-%d %H:%M:%S%z")


def configure(tz: ZoneInfo, level: int = logging.INFO) -> None:
    """Log to stderr at ``level`` with times in ``tz``; like ``logging.basicConfig``, nothing
    happens when the root logger already has a handler (a second call, a test runner)."""
    logging.getLogger("apscheduler").setLevel(logging.CRITICAL + 1)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its English "Context impl …" lines
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(ZonedFormatter(tz))
    root.addHandler(handler)
    root.setLevel(level)


def write_error_log(instance_path: str | Path, details: str) -> Path | None:
    """Append ``details`` (a traceback, a tool's output) to ``<instance>/logs/errors.log``;
    its path, or None when it cannot be written."""
    path = Path(instance_path) / ERROR_LOG
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as log:
            log.write(f"--- {datetime.now(UTC).isoformat(timespec='seconds')}\n{details.rstrip()}\n")
    except OSError:
        return None
    return path
