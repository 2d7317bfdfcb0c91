"""The ``tracker`` command never shows a traceback or English: database faults injected for
real, an unexpected error, click's usage errors.  Each runs ``tracker.cli.main`` as the
console script does (its one top-level handler), against a fresh database."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tracker import migration
from tracker.cli import Context, cli, pass_context
from tracker.cli.errors import INTERNAL_ERROR_EXIT
from tracker.db import make_engine
from tracker.models import Unit
from tests.database_faults import FAULTS, english_words

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture()
def fault_url(fresh_database_url: str) -> Iterator[str]:
    engine = make_engine(fresh_database_url)
    migration.upgrade(fresh_database_url, engine)
    engine.dispose()
    yield fresh_database_url


@pytest.fixture()
def tracker(tracker_main) -> Run:  # type: ignore[no-untyped-def]
    """``tracker(url, *args)`` → (exit code, stdout, stderr) of ``main``."""
    return tracker_main


@pytest.fixture()
def fault_command() -> Iterator[dict[str, Callable[..., None]]]:
    """A hidden ``tracker _fault`` that runs ``holder["run"](session)`` in the command's
    transaction, the way every command does."""
    holder: dict[str, Callable[..., None]] = {}

    @cli.command("_fault", hidden=True)
    @pass_context
    def _fault(ctx: Context) -> None:
        with ctx.transaction() as session:
            holder["run"](session)

    yield holder
    cli.commands.pop("_fault")


def _backend(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def _count_units(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(select(func.count(Unit.id))).scalar_one()
    finally:
        engine.dispose()


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_database_fault_is_one_chinese_line(fault: str, fault_url: str, tracker: Run,
                                              fault_command: dict) -> None:  # type: ignore[type-arg]
    inject, backend, expected = FAULTS[fault]
    if _backend(fault_url) != backend:
        pytest.skip(f"{fault} is a {backend} fault")
    fault_command["run"] = inject
    code, _out, err = tracker(fault_url, "_fault")
    assert code == 74 if fault == "disk_full" else code == 75, err
    assert expected in err
    assert err.startswith("错误：") and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err and english_words(err) == [], err
    assert _count_units(fault_url) == 0  # rolled back


def test_a_real_command_on_a_locked_sqlite_database(fault_url: str, tracker: Run,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """``tracker user create`` while another process holds the write lock: the command's own
    engine waits its busy timeout (cut to 0.1 s here) and says the database is busy."""
    if _backend(fault_url) != "sqlite":
        pytest.skip("SQLite's file lock")
    from sqlalchemy import event

    import tracker.db as db_module   # the command imports it when it opens the database

    class QuickToGiveUp(db_module.Database):
        def __init__(self, url: str) -> None:
            super().__init__(url)
            event.listen(self.engine, "connect",
                         lambda connection, _record: connection.execute("PRAGMA busy_timeout = 100"))

    monkeypatch.setattr(db_module, "Database", QuickToGiveUp)
    other = sqlite3.connect(fault_url.removeprefix("sqlite:///"), isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        code, _out, err = tracker(fault_url, "user", "create", "--username", "wang", "--role",
                                  "finance", "--password", "long-enough-1")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert code == 75 and "另一导入正在进行" in err and english_words(err) == [], err


@pytest.mark.parametrize("url", [
    "postgresql+psycopg://nobody@127.0.0.1:9/none",   # nothing listens on port 9
    "sqlite:////no/such/folder/tracker.db",           # the file cannot be opened
])
def test_an_unavailable_database(url: str, tracker: Run) -> None:
    code, _out, err = tracker(url, "db", "current")
    assert code == 3
    assert err.strip() == "错误：数据库不可用（请检查数据库服务）" or "无法打开数据库文件" in err, err
    assert "Traceback" not in err and english_words(err) == [], err


def test_an_unexpected_error_is_chinese_and_logged(fault_url: str, tracker: Run, tmp_path: Path,
                                                   fault_command: dict) -> None:  # type: ignore[type-arg]
    def explode(session) -> None:  # type: ignore[no-untyped-def]
        session.add(Unit(code="X", name="半途单位"))
        session.flush()
        raise KeyError("some English library detail")

    fault_command["run"] = explode
    code, _out, err = tracker(fault_url, "_fault")
    assert code == INTERNAL_ERROR_EXIT
    assert err.startswith("内部错误：操作已中止，未完成的改动已撤销。")
    log = tmp_path / "logs" / "errors.log"
    assert str(log) in err
    assert "Traceback" not in err and english_words(err.replace(str(log), "")) == [], err
    assert "some English library detail" in log.read_text(encoding="utf-8")
    assert "Traceback" in log.read_text(encoding="utf-8")
    assert _count_units(fault_url) == 0


@pytest.mark.parametrize(("args", "expected"), [
    (("db", "--nope"), "错误：没有选项 --nope"),
    (("db", "upgrad"), "错误：没有命令 upgrad（是否想用 upgrade？）"),
    (("export", "spending", "--json"), "错误：缺少选项 --as-of"),
    (("export", "spending", "--as-of", "30/06/2025", "--json"),
     "错误：--as-of 的值无效：应为日期，格式 YYYY-MM-DD"),
    (("export", "spending", "--json", "--as-of"), "错误：选项 --as-of 后面需要一个值"),
    (("db", "current", "extra"), "错误：多余的参数：extra"),
    (("serve", "--workers", "0"), "错误：--workers 的值无效：应不小于 1"),
])
def test_usage_errors_are_chinese(args: tuple[str, ...], expected: str, tracker: Run, tmp_path: Path) -> None:
    code, _out, err = tracker(f"sqlite:///{tmp_path / 'unused.db'}", *args)
    assert code == 2
    first, second = err.strip().splitlines()
    assert first == expected
    assert second.startswith("查看用法：tracker") and second.endswith("--help")


def test_our_own_usage_errors_keep_their_words(tracker: Run, tmp_path: Path) -> None:
    code, _out, err = tracker(f"sqlite:///{tmp_path / 'x.db'}", "import", "targets", str(tmp_path / "none.txt"))
    assert code == 2 and err.splitlines()[0] == f"错误：文件不存在：{tmp_path / 'none.txt'}"


def test_a_port_in_use_is_said_in_chinese(fault_url: str, tmp_path: Path) -> None:
    import os
    import socket
    import subprocess
    import sys

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "tracker.cli", "serve", "--port", str(port)], capture_output=True,
            text=True, timeout=120, env={**os.environ, "TRACKER_DATABASE_URL": fault_url,
                                         "TRACKER_INSTANCE_PATH": str(tmp_path)})
    assert result.returncode == 74
    assert "错误：地址或端口已被占用" in result.stderr
    assert "Traceback" not in result.stderr and english_words(result.stderr) == [], result.stderr
    # the server ended its own build process: that is not news ("页面改由本进程自行计算" is false)
    assert "后台计算进程已退出" not in result.stderr


def test_files_the_system_refuses_are_said_in_chinese(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tracker.cli.errors import OS_ERROR_EXIT, report

    for action, words in ((lambda: open(tmp_path / "missing.txt", encoding="utf-8"), "文件或目录不存在"),
                          (lambda: open(tmp_path, "w", encoding="utf-8"), "这是一个目录，不是文件")):
        with pytest.raises(OSError) as raised:
            action()
        assert report(raised.value) == OS_ERROR_EXIT
        err = capsys.readouterr().err
        assert err.startswith(f"错误：{words}：{tmp_path}")
