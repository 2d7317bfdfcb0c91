"""What the whole-province rebuilds cost the other requests: a build process beside the
workers (``tracker.web.builder``) against the rebuild in a thread of a worker (the naive way,
``TRACKER_BUILD_PROCESS=0``), on a database built by ``province_scale.py``.

``tracker serve --workers 2`` runs twice per round (thread, then process; ``--rounds`` rounds
alternate them so the machine's other load falls on both); unit-staff clients thinking
``--think`` s between their project and monitoring pages and leaders on the whole-province
cockpit, while the data version is moved every ``--every`` s (as commits do): each move makes
the cockpit stale and starts a rebuild.  Printed per run: the unit staff's p50 / p95 / max,
the cockpit's p95, the workers' CPU a request and the build process's CPU, with the load
average; then the ratio of the p95s.

    python benchmarks/page_rebuilds.py --url postgresql+psycopg://postgres@127.0.0.1:5432/prov_e
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _module(name: str):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[spec.name] = module  # type: ignore[union-attr]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _children_cpu(pid: int) -> dict[str, float]:
    """CPU seconds of each child of ``pid`` by its name (workers: ``python``; ``tracker-build``)."""
    ticks = os.sysconf("SC_CLK_TCK")
    found: dict[str, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            name = (entry / "comm").read_text().strip()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kind = "build" if name == "tracker-build" else "workers"
            found[kind] = found.get(kind, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
    return found


def run(scale, web, url: str, mode: str, clients: int, seconds: float, every: float, think: float) -> float:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    from tracker.db import DATA_VERSION_KEY, Database

    database = Database(url)
    staff, projects = scale.ensure_users(database, max(1, clients - clients // 5))
    all_ids = [pid for ids in projects.values() for pid in ids]
    with tempfile.TemporaryDirectory() as folder:
        port = web.free_port()
        env = dict(os.environ, TRACKER_DATABASE_URL=url, TRACKER_INSTANCE_PATH=folder,
                   TRACKER_SECRET_KEY=secrets.token_hex(32), PYTHONPATH=str(ROOT),
                   TRACKER_BUILD_PROCESS="1" if mode == "process" else "0")
        server = subprocess.Popen(scale.tracker_command("serve", "--host", web.HOST, "--port", str(port),
                                                        "--workers", "2"),
                                  env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                  stderr=open(Path(folder) / "server.log", "wb"))  # noqa: SIM115
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    web.socket.create_connection((web.HOST, port), timeout=0.5).close()
                    break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit("tracker serve did not start") from None
                    time.sleep(0.3)
            users = []
            for n in range(clients):
                client = web.Client(port)
                if n % 5 == 0:
                    scale.login(client, "bench-leader")
                    users.append((client, ("cockpit",), all_ids))
                else:
                    name = staff[n % len(staff)]
                    scale.login(client, name)
                    users.append((client, ("project", "monitoring"), projects[name]))
            probe = users[0][0]
            for _ in range(120):  # the opening cockpit built (by the warming) before the clock starts
                status, page = probe.request("GET", "/cockpit")
                if status == 200 and b'id="built-at"' not in page:
                    break
                time.sleep(1)
            stop_at = time.perf_counter() + seconds
            moves = [0]

            def move() -> None:  # as a commit does: every kept part is now behind the data
                while time.perf_counter() < stop_at:
                    time.sleep(every)
                    with database.engine.begin() as connection:
                        connection.execute(text("UPDATE setting SET value = :v WHERE key = :k"),
                                           {"v": f'"bench-{secrets.token_hex(8)}"', "k": DATA_VERSION_KEY})
                    moves[0] += 1

            mover = threading.Thread(target=move, daemon=True)
            cpu_before = _children_cpu(server.pid)
            mover.start()
            results, elapsed = scale.run_load(web, users, lambda: time.perf_counter() >= stop_at, think)
            mover.join()
            cpu_after = _children_cpu(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
    staff_times = results.latencies["project"] + results.latencies["monitoring"]
    served = sum(len(v) for v in results.latencies.values())
    worker_cpu = cpu_after.get("workers", 0) - cpu_before.get("workers", 0)
    build_cpu = cpu_after.get("build", 0) - cpu_before.get("build", 0)
    p95 = web.percentile(staff_times, .95)
    print(f"  {mode:<7} unit staff p50 {web.percentile(staff_times, .5) * 1000:5.0f} ms, p95 {p95 * 1000:5.0f} ms, "
          f"max {max(staff_times) * 1000:5.0f} ms; cockpit p95 "
          f"{web.percentile(results.latencies['cockpit'], .95) * 1000:5.0f} ms; {served / elapsed:.1f} req/s, "
          f"errors {sum(results.errors.values())}, 202 {sum(results.pending.values())}; workers "
          f"{worker_cpu / max(served, 1) * 1000:.1f} ms CPU a request, build process {build_cpu:.1f} s CPU; "
          f"{moves[0]} data moves {scale.load_line()}", flush=True)
    return p95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--every", type=float, default=3.0, help="seconds between data moves")
    parser.add_argument("--think", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    scale = _module("province_scale")
    web = scale.sibling("web_load")
    print(f"page rebuilds: {args.clients} clients thinking {args.think:g} s, the data moved every "
          f"{args.every:g} s, {args.seconds:g} s a run {scale.load_line()}")
    figures: dict[str, list[float]] = {"thread": [], "process": []}
    for _ in range(args.rounds):
        for mode in ("thread", "process"):
            figures[mode].append(run(scale, web, args.url, mode, args.clients, args.seconds, args.every, args.think))
    thread, process = (sum(figures[m]) / len(figures[m]) for m in ("thread", "process"))
    print(f"unit staff p95 (mean of {args.rounds} runs each): thread {thread * 1000:.0f} ms "
          f"({' / '.join(f'{v * 1000:.0f}' for v in figures['thread'])}), build process {process * 1000:.0f} ms "
          f"({' / '.join(f'{v * 1000:.0f}' for v in figures['process'])}): {thread / process:.2f}× "
          f"{scale.load_line()}")

if __name__ == "__main__":
    main()
