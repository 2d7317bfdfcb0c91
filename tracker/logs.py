"""Log lines for the console commands (the scheduler): times in the configured zone."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class ZonedFormatter(logging.Formatter):
    """Stamps each record with its time in ``tz`` (Asia/Shanghai by default), offset shown:
    ``2025-06-30 23:30:00+0800``."""

    def __init__(self, tz: ZoneInfo, fmt: str = FORMAT) -> None:
        super().__init__(fmt)
        self.tz = tz

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return datetime.fromtimestamp(record.created, self.tz).strftime(datefmt or "%Y-%m-%d %H:%M:%S%z")


def configure(tz: ZoneInfo, level: int = logging.INFO) -> None:
    """Log to stderr at ``level`` with times in ``tz``; like ``logging.basicConfig``, nothing
    happens when the root logger already has a handler (a second call, a test runner)."""
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(ZonedFormatter(tz))
    root.addHandler(handler)
    root.setLevel(level)
