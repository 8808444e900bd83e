"""Benchmark: what an unauthenticated chunked body costs the API server, with the streaming body limit.

python benchmarks/bench_body_limit.py              # 300 MB bodies, 3 rounds
python benchmarks/bench_body_limit.py --mb 64 --rounds 5

Each round starts the API (uvicorn, a child process, fake service, 127.0.0.1) and sends one chunked
POST /api/ask of ``--mb`` megabytes with no key, stopping as soon as a response arrives. It reports
the server's resident memory growth (VmRSS after minus before), the time to the response and the
bytes the client got to send. The baseline, measured in the same run, is the same server with a
limit above the body size (``max_question_chars`` raised), which is what the old Content-Length-only
check did with a chunked body: read all of it into memory before auth.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from live_api import LiveApi  # noqa: E402
from test_body_limit import stream_chunked  # noqa: E402

MB = 1024 * 1024


def one_round(max_question_chars: int, size: int) -> tuple[float, float, float, int]:
    """(RSS growth MB, seconds to the response, MB sent, status) for one fresh server."""
    with tempfile.TemporaryDirectory() as home:
        env = {"METRICQA_HOME": home, "METRICQA_MAX_QUESTION_CHARS": str(max_question_chars)}
        with LiveApi(env) as api:
            before = api.rss_bytes()
            started = time.perf_counter()
            status, _, sent = stream_chunked(api.port, size)
            elapsed = time.perf_counter() - started
            return (api.rss_bytes() - before) / MB, elapsed, sent / MB, status


def report(name: str, rounds: list[tuple[float, float, float, int]]) -> tuple[float, float]:
    grown = statistics.median(r[0] for r in rounds)
    seconds = statistics.median(r[1] for r in rounds)
    sent = statistics.median(r[2] for r in rounds)
    statuses = sorted({r[3] for r in rounds})
    print(
        f"{name:34} rss +{grown:8.1f} MB   response after {seconds * 1000:9.1f} ms   sent {sent:7.1f} MB   status {statuses}"
    )
    return grown, seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mb", type=int, default=300, help="body size in MB")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    size = args.mb * MB
    print(f"chunked unauthenticated POST /api/ask of {args.mb} MB, median of {args.rounds} rounds")
    limited = report("streaming limit (default)", [one_round(1000, size) for _ in range(args.rounds)])
    baseline = report("baseline: limit above the body", [one_round(size, size) for _ in range(args.rounds)])
    print(
        f"ratio limited/baseline: memory {limited[0] / max(baseline[0], 0.1):.3f}, "
        f"time to response {limited[1] / baseline[1]:.3f}"
    )


if __name__ == "__main__":
    main()
