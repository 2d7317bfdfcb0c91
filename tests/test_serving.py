"""``tracker serve --workers 2``: several processes answer on one port and stop together."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tracker import migration
from tracker.db import make_engine


@pytest.mark.skipif(not hasattr(os, "fork"), reason="--workers needs fork")
def test_workers_share_the_port_and_stop_together(tmp_path: Path) -> None:
    port, env = _serving_setup(tmp_path)
    server = subprocess.Popen([sys.executable, "-m", "tracker.cli", "serve", "--port", str(port),
                               "--workers", "2"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline, answers = time.monotonic() + 60, []
        while len(answers) < 10 and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=10) as response:
                    answers.append(response.status)
            except OSError:
                time.sleep(0.2)
        assert answers == [200] * 10
        children = _children_of(server.pid)
        workers = [pid for pid in children if not _is_builder(pid)]
        builders = [pid for pid in children if _is_builder(pid)]
        assert len(workers) == 2 and len(builders) == 1
        # the build process yields the CPU (10 lower, within the system's range: at most 19)
        assert _niceness(builders[0]) == min(19, _niceness(workers[0]) + 10)
    finally:
        server.send_signal(signal.SIGTERM)
        _out, err = server.communicate(timeout=30)
    assert server.returncode == 0, err.decode()
    assert all(not Path(f"/proc/{pid}").exists() for pid in children)


@pytest.mark.skipif(not Path("/proc").exists(), reason="reads /proc")
@pytest.mark.parametrize("workers", ["1", "2"])
def test_the_build_process_dies_with_a_server_killed_outright(tmp_path: Path, workers: str) -> None:
    """No orphan: a server killed with SIGKILL (no chance to stop its children) takes its build
    process with it (and its workers)."""
    port, env = _serving_setup(tmp_path)
    server = subprocess.Popen([sys.executable, "-m", "tracker.cli", "serve", "--port", str(port),
                               "--workers", workers], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        expected = 1 + (int(workers) if workers != "1" else 0)  # the build process, the workers
        _wait_for(lambda: len(_children_of(server.pid)) == expected)
        children = _children_of(server.pid)
        assert sum(map(_is_builder, children)) == 1
    finally:
        server.kill()
        server.wait(timeout=30)
    _wait_for(lambda: all(not _alive(pid) for pid in children))
    assert all(not _alive(pid) for pid in children)


@pytest.mark.skipif(not Path("/proc").exists(), reason="reads /proc")
def test_one_process_reaps_a_build_process_that_died(tmp_path: Path) -> None:
    """Serving alone (no supervisor), a build process that ends by itself is waited for — no
    zombie left beside the server — and said; the pages still answer, and the server stops
    cleanly (no signal sent to a pid that is no longer its child)."""
    port, env = _serving_setup(tmp_path)
    server_log = tmp_path / "server.log"
    server = subprocess.Popen([sys.executable, "-m", "tracker.cli", "serve", "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=server_log.open("wb"))
    try:
        _wait_for(lambda: sum(map(_is_builder, _children_of(server.pid))) == 1)
        builder = next(pid for pid in _children_of(server.pid) if _is_builder(pid))
        os.kill(int(builder), signal.SIGKILL)
        _wait_for(lambda: not Path(f"/proc/{builder}").exists())
        assert not Path(f"/proc/{builder}").exists()  # reaped, not a zombie
        assert _answers(port)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    assert server.returncode == 0, server_log.read_text(encoding="utf-8")
    assert "后台计算进程已退出" in server_log.read_text(encoding="utf-8")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the build process is forked")
def test_the_build_process_ends_on_sigterm_without_unwinding() -> None:
    """SIGTERM (the server stopping) ends the build process where it stands: no exception is
    raised into the query it may be in the middle of, so no driver tries a rollback on a busy
    connection and prints about it in English on the server's stderr."""
    child = subprocess.Popen([sys.executable, "-c", (
        "import os, time\n"
        "from tracker.web import builder\n"
        "builder._die_with(os.getppid())\n"
        "print('ready', flush=True)\n"
        "try:\n"
        "    time.sleep(60)\n"
        "finally:\n"
        "    print('unwound', flush=True)\n")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline() == "ready\n"
    child.send_signal(signal.SIGTERM)
    out, err = child.communicate(timeout=30)
    assert child.returncode == 0 and "unwound" not in out and err == ""


def _parent(pid: str) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def test_serve_with_the_scheduler_runs_both_and_stops_both(tmp_path: Path) -> None:
    """``tracker serve --with-scheduler`` (what ``make run`` starts): the pages answer, the one
    scheduler is active beside them, a second scheduler started by mistake waits as standby,
    and stopping the server stops its scheduler (the standby then takes over)."""
    port, env = _serving_setup(tmp_path)
    env["TRACKER_SCHEDULER_LOCK_SECONDS"] = "1"
    server_log = tmp_path / "server.log"
    server = subprocess.Popen([sys.executable, "-m", "tracker.cli", "serve", "--port", str(port),
                               "--with-scheduler"], env=env, stdout=subprocess.DEVNULL,
                              stderr=server_log.open("wb"))
    second = None
    try:
        assert _answers(port)
        children = _children_of(server.pid)
        assert len(children) == 2 and sum(map(_is_builder, children)) == 1  # the scheduler, the build process
        # the server's scheduler holds the lock before the second one is started (on a loaded
        # machine its process can answer later than the pages do)
        _wait_for(lambda: "本进程成为运行中的调度进程" in server_log.read_text(encoding="utf-8"))
        second_log = tmp_path / "second-scheduler.log"
        second = subprocess.Popen([sys.executable, "-m", "tracker.cli", "scheduler"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=second_log.open("wb"))
        _wait_for(lambda: _children_of(server.pid) and second.poll() is None and time.sleep(3) is None)
        assert second.poll() is None  # standby, not refused
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        err = server_log.read_bytes()
        if second is not None:  # the standby takes over once the server's scheduler has stopped
            _wait_for(lambda: "本进程成为运行中的调度进程" in second_log.read_text(encoding="utf-8"))
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=60)
    assert server.returncode == 0, err.decode()
    assert all(not Path(f"/proc/{pid}").exists() for pid in children)  # its scheduler stopped too
    standby = second_log.read_text(encoding="utf-8")
    assert "本进程成为运行中的调度进程" in err.decode()
    assert standby.index("待命") < standby.index("本进程成为运行中的调度进程")


def _serving_setup(tmp_path: Path) -> tuple[int, dict[str, str]]:
    """A migrated SQLite database in ``tmp_path``, a free port, and the server's environment."""
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    engine = make_engine(url)
    migration.upgrade(url, engine)
    engine.dispose()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return port, {**os.environ, "TRACKER_DATABASE_URL": url, "TRACKER_INSTANCE_PATH": str(tmp_path)}


def _answers(port: int) -> bool:
    """Whether the login page answers 200 within a minute (the server may still be starting)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=10) as response:
                return response.status == 200
        except OSError:
            time.sleep(0.2)
    return False


def _is_builder(pid: str) -> bool:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() == "tracker-build"
    except OSError:
        return False


def _niceness(pid: str) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


def _alive(pid: str) -> bool:
    """Running (a zombie waiting for its parent to read its status is not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _children_of(pid: int) -> list[str]:
    return [p.name for p in Path("/proc").iterdir() if p.name.isdigit() and _parent(p.name) == pid]


def _wait_for(condition) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 30
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.2)
