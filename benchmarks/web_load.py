"""Web speed under load (issue 6): the cockpit and project pages through the production server.

    python benchmarks/web_load.py [--clients 20] [--seconds 30] [--projects 10000]
                                  [--rows 1000000] [--db PATH] [--workers N] [--threads N]

Builds a SQLite database with the monitoring benchmark's data (``build`` of
benchmarks/monitoring.py: N projects, N × 10 indicators, ``--rows`` ledger rows) — or reuses
``--db PATH`` when that file already holds it (it is built there otherwise, so the next run
starts in seconds) — adds a leader, and starts ``tracker serve --workers N`` (waitress; one
process per CPU unless ``--workers`` says otherwise) in a child process with
``TRACKER_DATABASE_URL`` / ``TRACKER_INSTANCE_PATH`` in a temporary folder.  Each of the
clients logs in with its own session cookie (and the CSRF token of the login page), then for
``--seconds`` loops over GET /cockpit (the default year and date), GET /projects/<id> and
GET /projects/<id>/monitoring of random projects, over one keep-alive connection (stdlib
``http.client``), at once (saturation) or waiting a random 0.5–1.5 × ``--think`` seconds
between pages.  A 202 "正在后台计算" cockpit (a date never built) is counted apart from the
errors.  Printed: each page's single-request latency cold (its first request after
the server started) and warm (again), and per page kind and overall the count, p50, p95,
max, requests/s and errors (anything but 200 with the page's own content), the CPU time the
server used per request, and the machine's load average (other programs slow it down).
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from tracker import migration  # noqa: E402
from tracker.db import Database  # noqa: E402
from tracker.models import LedgerRow, Project, Role, User  # noqa: E402
from tracker.services.users import create_user  # noqa: E402

LEADER, PASSWORD = "bench-leader", "bench-leader-password"
HOST = "127.0.0.1"
KINDS = ("cockpit", "project", "monitoring")
# Text each page shows when it answered properly (not an error page or the login form).
EXPECTED = {"cockpit": "执行滞后项目".encode(), "project": "资金支出计划".encode(), "monitoring": "判断日期".encode()}
#: ``timed``'s problem for the cockpit's 202 "正在后台计算" page (a date never built): counted
#: apart from the errors, and printed.
PENDING = "202 正在后台计算"


def monitoring_benchmark():  # type: ignore[no-untyped-def]
    """benchmarks/monitoring.py as a module (its data builder)."""
    spec = importlib.util.spec_from_file_location("monitoring_benchmark", ROOT / "benchmarks" / "monitoring.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def prepare_database(path: Path, projects: int, rows: int, indicators: int) -> list[int]:
    """Migrate; build the data unless the file already holds projects; ensure the leader.
    Returns the project ids."""
    path.parent.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{path}"
    database = Database(url)
    try:
        migration.upgrade(url, database.engine)
        with database.session() as session:
            count = session.scalar(select(func.count()).select_from(Project))
            if count:
                ledger = session.scalar(select(func.count()).select_from(LedgerRow))
                print(f"data: reusing {path} ({count:,} projects, {ledger:,} ledger rows)")
            else:
                bench = monitoring_benchmark()
                started = time.perf_counter()
                bench.build(session, projects, indicators, rows, random.Random(20250630))
                session.commit()
                print(f"data: built {path} ({projects:,} projects, {projects * indicators:,} indicators, "
                      f"{rows:,} ledger rows) in {time.perf_counter() - started:.1f} s")
            if session.scalar(select(User.id).where(User.username == LEADER)) is None:
                create_user(session, LEADER, Role.leader, PASSWORD)
                session.commit()
            ids = list(session.scalars(select(Project.id).order_by(Project.id)))
        with database.engine.connect() as connection:  # fold the WAL back into the file
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return ids
    finally:
        database.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start_server(database: Path, instance: Path, port: int, threads: int | None,
                 workers: int | None) -> subprocess.Popen[bytes]:
    env = dict(os.environ, TRACKER_DATABASE_URL=f"sqlite:///{database}",
               TRACKER_INSTANCE_PATH=str(instance), TRACKER_SECRET_KEY=secrets.token_hex(32))
    command = [sys.executable, "-m", "tracker.cli", "serve", "--host", HOST, "--port", str(port)]
    if threads:
        command += ["--threads", str(threads)]
    if workers:
        command += ["--workers", str(workers)]
    server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=open(instance / "server.log", "wb"))  # noqa: SIM115
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"tracker serve exited: {(instance / 'server.log').read_text()}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("tracker serve did not start within 60 s")


class Client:
    """One browser: a keep-alive connection and its cookies."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.connection = http.client.HTTPConnection(HOST, port, timeout=120)

    def request(self, method: str, path: str, body: dict[str, str] | None = None) -> tuple[int, bytes]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=data, headers=headers)
                response = self.connection.getresponse()
                content = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionError, http.client.CannotSendRequest):
                self.connection.close()  # the server closed a kept-alive connection: once more
                self.connection = http.client.HTTPConnection(HOST, self.port, timeout=120)
                if attempt == 2:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, content

    def login(self) -> None:
        status, page = self.request("GET", "/login")
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.decode())
        if status != 200 or not match:
            raise SystemExit(f"no login form ({status})")
        status, _ = self.request("POST", "/login", {"csrf_token": match.group(1), "username": LEADER,
                                                    "password": PASSWORD})
        if status != 302:
            raise SystemExit(f"login failed ({status})")


def path_of(kind: str, project_id: int) -> str:
    return {"cockpit": "/cockpit", "project": f"/projects/{project_id}",
            "monitoring": f"/projects/{project_id}/monitoring"}[kind]


def timed(client: Client, kind: str, project_id: int) -> tuple[float, str, int]:
    """(seconds, "" when answered properly else what went wrong, bytes)."""
    start = time.perf_counter()
    try:
        status, content = client.request("GET", path_of(kind, project_id))
    except (OSError, http.client.HTTPException) as error:
        return time.perf_counter() - start, type(error).__name__, 0
    elapsed = time.perf_counter() - start
    if status == 202 and "正在后台计算".encode() in content:
        return elapsed, PENDING, len(content)
    problem = "" if status == 200 and EXPECTED[kind] in content else f"HTTP {status}"
    return elapsed, problem, len(content)


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    pending: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # 202 answers
    problems: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float, problem: str) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            if problem == PENDING:
                self.pending[kind] += 1
            elif problem:
                self.errors[kind] += 1
                self.problems[f"{kind}: {problem}"] += 1


def load(clients: list[Client], ids: list[int], seconds: float,
         kinds: tuple[str, ...] = KINDS, think: float = 0.0) -> tuple[Results, float]:
    """Every client loops over ``kinds`` of random projects for ``seconds``, waiting a random
    0.5–1.5 × ``think`` seconds after each page (0: none — saturation)."""
    results = Results()
    start = threading.Barrier(len(clients) + 1)
    stop_at: list[float] = []

    def run(client: Client, seed: int) -> None:
        rng = random.Random(seed)
        start.wait()
        while time.perf_counter() < stop_at[0]:
            for kind in kinds:
                elapsed, problem, _ = timed(client, kind, rng.choice(ids))
                results.add(kind, elapsed, problem)
                if time.perf_counter() >= stop_at[0]:
                    break
                if think > 0:
                    time.sleep(think * rng.uniform(0.5, 1.5))

    threads = [threading.Thread(target=run, args=(c, n), daemon=True) for n, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    stop_at.append(time.perf_counter() + seconds)
    began = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    return results, time.perf_counter() - began


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time so far of process ``pid`` and its children (the workers of
    ``--workers``); Linux /proc, None elsewhere."""
    total, found = 0, False
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if stat.parent.name == str(pid) or fields[1] == str(pid):
            total += int(fields[11]) + int(fields[12])
            found = True
    return total / os.sysconf("SC_CLK_TCK") if found else None


def percentile(values: list[float], fraction: float) -> float:
    """Nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))]


def report(results: Results, elapsed: float, kinds: tuple[str, ...] = KINDS) -> None:
    print(f"{'page':<11}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'req/s':>8}{'errors':>8}"
          f"{'202':>6}")
    everything = [v for kind in kinds for v in results.latencies[kind]]

    def line(name: str, values: list[float], errors: int, pending: int) -> None:
        if not values:
            print(f"{name:<11}{0:>7}")
            return
        print(f"{name:<11}{len(values):>7}{percentile(values, .5) * 1000:>9.0f}"
              f"{percentile(values, .95) * 1000:>9.0f}{max(values) * 1000:>9.0f}"
              f"{len(values) / elapsed:>8.1f}{errors:>8}{pending:>6}")

    for kind in kinds:
        line(kind, results.latencies[kind], results.errors[kind], results.pending[kind])
    line("overall", everything, sum(results.errors.values()), sum(results.pending.values()))
    if sum(results.pending.values()):
        print(f"  202 “正在后台计算” (the cockpit at a date never built) × {sum(results.pending.values())}")
    for problem, count in sorted(results.problems.items()):
        print(f"  error {problem} × {count}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--indicators", type=int, default=10, help="per project")
    parser.add_argument("--db", type=Path, help="SQLite file to reuse (built there when empty or missing)")
    parser.add_argument("--threads", type=int, help="waitress threads (default: tracker serve's)")
    parser.add_argument("--pages", default=",".join(KINDS),
                        help="page kinds each client loops over (default: %(default)s)")
    parser.add_argument("--think", type=float, default=0.0,
                        help="seconds each client waits between pages, random 0.5–1.5× (default 0: saturation)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="server processes (tracker serve --workers; default: one per CPU)")
    args = parser.parse_args()
    kinds = tuple(kind for kind in KINDS if kind in args.pages.split(","))
    with tempfile.TemporaryDirectory() as folder:
        instance = Path(folder)
        path = args.db.resolve() if args.db else instance / "web_load.db"
        ids = prepare_database(path, args.projects, args.rows, args.indicators)
        server = start_server(path, instance, free_port(), args.threads, args.workers)
        try:
            port = int(server.args[server.args.index("--port") + 1])
            clients = [Client(port) for _ in range(args.clients)]
            for client in clients:
                client.login()
            probe, rng = clients[0], random.Random(1)
            print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} "
                  f"{os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}; "
                  f"{' '.join(['tracker serve', *server.args[8:]])}; "
                  f"{args.clients} clients for {args.seconds:g} s")
            print("single requests (ms, cold then warm):")
            for kind in kinds:
                project_id = rng.choice(ids)
                cold, problem_cold, size = timed(probe, kind, project_id)
                warm, problem_warm, _ = timed(probe, kind, project_id)
                state = "".join(f"  ERROR {p}" for p in {problem_cold, problem_warm} if p)
                print(f"  {kind:<11} {path_of(kind, project_id):<28} cold {cold * 1000:7.0f}   "
                      f"warm {warm * 1000:7.0f}   {size / 1024:6.0f} KiB{state}")
            server_before, client_before = cpu_seconds(server.pid), time.process_time()
            results, elapsed = load(clients, ids, args.seconds, kinds, args.think)
            server_after, client_cpu = cpu_seconds(server.pid), time.process_time() - client_before
            report(results, elapsed, kinds)
            requests = sum(len(v) for v in results.latencies.values()) or 1
            if server_before is not None and server_after is not None:
                server_cpu = server_after - server_before
                print(f"CPU during the run: server {server_cpu:.1f} s ({server_cpu / requests * 1000:.1f} ms "
                      f"per request, {server_cpu / elapsed * 100:.0f}% of one CPU), clients {client_cpu:.1f} s")
            print(f"after the run: load average {os.getloadavg()[0]:.2f}")
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


if __name__ == "__main__":
    main()
