"""What keeping a preview's parse costs, against reading the file again (issue #18).

    python benchmarks/preview_keep.py [--rows N] [--only csv|xlsx]

For the GBK CSV and .xlsx payment lists of benchmarks/ledger_read.py (cached in
benchmarks/.cache/), each step in a fresh child process so that its peak memory is its own:
``read`` — ``read_ledger`` of the file (what a confirmation did before); ``keep`` — reading,
then ``parse_to_keep`` + ``uploads.save_result`` (what the preview adds: only the save is
timed); ``load`` — ``uploads.load_result`` of the kept parse, seal checked (what a confirmation
does now).  Prints seconds, the kept file's size against the upload's, and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from ledger_read import cached  # noqa: E402

SECRET = "benchmark-secret"


def step(name: str, path: str, instance: str) -> dict[str, float]:
    from tracker.importers.ledger import read_ledger
    from tracker.services import uploads
    from tracker.services.ledger_import import PARSE_SCHEMA, parse_to_keep

    data = Path(path).read_bytes()
    checksum = uploads.UploadedFile(Path(path).name, data).checksum
    token_file = Path(instance) / "token"
    if name == "load":
        token, result_id = token_file.read_text().split()
        started = time.perf_counter()
        parse = uploads.load_result(instance, token, result_id, checksum, secret=SECRET, schema=PARSE_SCHEMA)
        return {"seconds": time.perf_counter() - started, "rows": len(parse.rows)}
    started = time.perf_counter()
    parse = read_ledger(Path(path).name, data)
    read_seconds = time.perf_counter() - started
    if name == "read":
        return {"seconds": read_seconds, "rows": len(parse.rows)}
    token = uploads.save(instance, [(Path(path).name, b"")])  # the bytes themselves are not measured
    started = time.perf_counter()
    result_id = uploads.save_result(instance, token, checksum, parse_to_keep(parse), secret=SECRET,
                                    schema=PARSE_SCHEMA)
    seconds = time.perf_counter() - started
    token_file.write_text(f"{token} {result_id}")
    size = (Path(instance) / "uploads" / token / f"result-{result_id}.bin").stat().st_size
    return {"seconds": seconds, "rows": len(parse.rows), "kept_mb": size / 1e6, "file_mb": len(data) / 1e6}


def run_child(name: str, path: Path, instance: str) -> dict[str, float]:
    process = subprocess.Popen([sys.executable, __file__, "--child", name, str(path), instance],
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"{name} {path} failed")
    result = json.loads(output)
    result["peak_mb"] = usage.ru_maxrss / 1024
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--only", choices=("csv", "xlsx"))
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(step(*args.child)))
        return
    for kind in [args.only] if args.only else ["csv", "xlsx"]:
        path = cached(kind, args.rows)
        with tempfile.TemporaryDirectory() as instance:
            read = run_child("read", path, instance)
            keep = run_child("keep", path, instance)
            load = run_child("load", path, instance)
        print(f"{kind} {read['rows']:,} rows ({keep['file_mb']:.0f} MB file): read again {read['seconds']:.2f} s "
              f"(peak {read['peak_mb']:.0f} MB) | keep {keep['seconds']:.2f} s, {keep['kept_mb']:.1f} MB on disk "
              f"| load kept {load['seconds']:.2f} s (peak {load['peak_mb']:.0f} MB)", flush=True)


if __name__ == "__main__":
    main()
