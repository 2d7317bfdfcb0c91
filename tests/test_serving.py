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
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    engine = make_engine(url)
    migration.upgrade(url, engine)
    engine.dispose()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "TRACKER_DATABASE_URL": url, "TRACKER_INSTANCE_PATH": str(tmp_path)}
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
        workers = [pid for pid in (p.name for p in Path("/proc").iterdir() if p.name.isdigit())
                   if _parent(pid) == server.pid] if Path("/proc").exists() else ["?", "?"]
        assert len(workers) == 2
    finally:
        server.send_signal(signal.SIGTERM)
        _out, err = server.communicate(timeout=30)
    assert server.returncode == 0, err.decode()


def _parent(pid: str) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None
