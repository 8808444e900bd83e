"""Benchmark: the cost of the hash chain on an audit append, and of verifying a log.

python benchmarks/bench_audit.py                 # 2000 appends, 4 processes for the contended case
python benchmarks/bench_audit.py --appends 5000 --dir /var/tmp

Baseline, measured in the same run on the same disk: the old append (one JSON line, O_APPEND,
fsync, no lock, no chain). Prints median microseconds per append and the ratio, then appends per
second with several writer processes sharing one file (flock), then ``verify_chain`` speed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

from metricqa.assistant.audit import AuditLog, verify_chain

ENTRY = {
    "event": "http",
    "method": "POST",
    "path": "/api/ask",
    "status": 200,
    "user": "api:li",
    "duration_ms": 12.5,
}

WRITER = """
import sys
from metricqa.assistant.audit import AuditLog
log = AuditLog(sys.argv[1])
for i in range(int(sys.argv[2])):
    log.append({"writer": sys.argv[3], "seq": i})
"""


def plain_append(path: Path, entry: dict[str, object]) -> None:
    """The baseline: what the audit log did before the chain."""
    line = json.dumps(entry, ensure_ascii=False, default=str) + "\n"
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def timed(fn: object, n: int) -> list[float]:
    out = []
    for i in range(n):
        started = time.perf_counter()
        fn(i)  # type: ignore[operator]
        out.append((time.perf_counter() - started) * 1e6)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--appends", type=int, default=2000)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--dir", default=None, help="where the logs go (default: a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        root = Path(tmp)
        log = AuditLog(root / "chained.jsonl")
        plain = timed(lambda i: plain_append(root / "plain.jsonl", {**ENTRY, "seq": i}), args.appends)
        chained = timed(lambda i: log.append({**ENTRY, "seq": i}), args.appends)
        p, c = statistics.median(plain), statistics.median(chained)
        print(
            f"append, one writer ({args.appends}):  baseline {p:8.1f} us   chained {c:8.1f} us   ratio {c / p:.2f}"
        )

        shared = root / "shared.jsonl"
        per = args.appends // args.processes
        started = time.perf_counter()
        procs = [
            subprocess.Popen([sys.executable, "-c", WRITER, str(shared), str(per), f"w{n}"])
            for n in range(args.processes)
        ]
        assert all(proc.wait() == 0 for proc in procs)
        elapsed = time.perf_counter() - started
        stamps = [json.loads(line)["ts"] for line in shared.read_text().splitlines()]
        span = (datetime.fromisoformat(stamps[-1]) - datetime.fromisoformat(stamps[0])).total_seconds()
        total = per * args.processes
        print(
            f"{args.processes} writer processes, one file: {total / span:8.0f} appends/s "
            f"(first to last entry; {total / elapsed:.0f}/s with interpreter start-up)"
        )

        started = time.perf_counter()
        report = verify_chain(shared)
        elapsed = time.perf_counter() - started
        assert report.ok and report.entries == per * args.processes, report
        print(
            f"verify: {report.entries} entries in {elapsed * 1000:.1f} ms ({report.entries / elapsed:.0f} entries/s)"
        )


if __name__ == "__main__":
    main()
