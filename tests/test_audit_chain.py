"""The audit log's hash chain: tampering is found, rotation keeps the chain, concurrent and killed
writers leave a valid chain with no acknowledged entry lost; `metricqa audit verify` reports it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from metricqa.assistant.audit import GENESIS, AuditLog, parse_line, rotated_files, verify_chain
from metricqa.cli import main

WRITER = """
import sys
from metricqa.assistant.audit import AuditLog
log = AuditLog(sys.argv[1], max_bytes=int(sys.argv[4]))
for i in range(int(sys.argv[3])):
    log.append({"writer": sys.argv[2], "seq": i, "question": "本月华东回款率 " + "x" * (i % 7)})
    print(i, flush=True)   # acknowledged: append returned
"""


def filled(path: Path, n: int, max_bytes: int = 0) -> AuditLog:
    log = AuditLog(path, max_bytes=max_bytes)
    for i in range(n):
        log.append({"seq": i, "question": f"q{i}"})
    return log


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def seqs(path: Path) -> list[tuple[str, int]]:
    out = []
    for file in [*rotated_files(path), path]:
        for raw in file.read_bytes().splitlines():
            if parse_line(raw):
                entry = json.loads(raw)
                out.append((str(entry.get("writer", "")), int(entry["seq"])))
    return out


def verify_cli(path: Path, capsys: pytest.CaptureFixture[str], language: str = "en") -> tuple[int, str]:
    code = main(["audit", "verify", "--path", str(path), "--language", language])
    return code, capsys.readouterr().out


def test_an_intact_chain_verifies_with_its_count(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "audit.jsonl"
    filled(path, 5)
    first = json.loads(lines_of(path)[0])
    assert first["prev"] == GENESIS and first["seq"] == 0
    for before, after in zip(lines_of(path), lines_of(path)[1:], strict=False):
        assert json.loads(after)["prev"] == json.loads(before)["hash"]
    code, out = verify_cli(path, capsys)
    assert code == 0 and out.startswith("OK: 5 audit entries chained intact in 1 file(s)")
    code, out = verify_cli(path, capsys, "zh")
    assert code == 0 and "5 条审计记录哈希链完整" in out


def rewrite(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"".join(lines))


@pytest.mark.parametrize(
    "tamper,why,line",
    [
        (lambda ls: [*ls[:2], ls[2].replace(b'"q2"', b'"q9"'), *ls[3:]], "edited", 3),
        (lambda ls: [*ls[:2], *ls[3:]], "removed", 3),
        (lambda ls: ls[1:], "removed", 1),
        (lambda ls: [ls[0], ls[2], ls[1], *ls[3:]], "reordered", 2),
        (lambda ls: [*ls, ls[4]], "reordered", 7),  # a copied entry
        (lambda ls: [*ls[:3], ls[3].replace(b"hash", b"hush"), *ls[4:]], "edited", 4),
    ],
)
def test_tampering_names_the_first_bad_line_and_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tamper: object, why: str, line: int
) -> None:
    path = tmp_path / "audit.jsonl"
    filled(path, 6)
    rewrite(path, tamper(lines_of(path)))  # type: ignore[operator]
    report = verify_chain(path)
    assert (report.problem, report.where) == (why, f"{path}:{line}")
    code, out = verify_cli(path, capsys)
    assert code == 1 and out.startswith(f"BROKEN at {path}:{line}: entry {why}")


def test_a_torn_last_line_is_torn_and_the_next_append_continues_the_chain(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "audit.jsonl"
    log = filled(path, 4)
    lines = lines_of(path)
    rewrite(path, [*lines, lines[0][:40]])  # a writer killed mid-line
    code, out = verify_cli(path, capsys)
    assert code == 1 and f"BROKEN at {path}:5: entry torn" in out
    AuditLog(path).append({"seq": 4, "question": "after the crash"})
    report = verify_chain(path)
    assert report.ok and report.entries == 5 and report.repaired == (f"{path}:5",)
    code, out = verify_cli(path, capsys)
    assert code == 0 and "torn write at" in out and "OK: 5 audit entries" in out
    log.append({"seq": 5})  # a writer whose cached last hash is stale reads the file again
    assert verify_chain(path).entries == 6


def test_rotation_keeps_one_chain_across_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "audit.jsonl"
    filled(path, 40, max_bytes=1500)
    rotated = rotated_files(path)
    assert len(rotated) >= 3 and [p.name for p in rotated][:2] == ["audit.jsonl.1", "audit.jsonl.2"]
    assert all(p.stat().st_size <= 1500 + 400 for p in rotated)
    last_of_first = json.loads(lines_of(rotated[0])[-1])["hash"]
    assert json.loads(lines_of(rotated[1])[0])["prev"] == last_of_first
    assert [s for _, s in seqs(path)] == list(range(40))
    code, out = verify_cli(path, capsys)
    assert code == 0 and f"OK: 40 audit entries chained intact in {len(rotated) + 1} file(s)" in out
    rotated[1].unlink()  # a whole rotated file removed
    report = verify_chain(path)
    assert report.problem == "removed" and report.where == f"{rotated[2]}:1"


def test_threads_and_processes_appending_at_once_keep_a_valid_chain(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), f"p{n}", "60", "6000"], stdout=subprocess.DEVNULL
        )
        for n in range(3)
    ]
    log = AuditLog(path, max_bytes=6000)

    def write(name: str) -> None:
        for i in range(40):
            log.append({"writer": name, "seq": i})

    threads = [threading.Thread(target=write, args=(f"t{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [p.wait(60) for p in procs] == [0, 0, 0]
    report = verify_chain(path)
    assert report.ok, report
    assert report.entries == 3 * 60 + 4 * 40 and len(report.files) > 2
    assert sorted(seqs(path)) == sorted(
        [(f"p{n}", i) for n in range(3) for i in range(60)]
        + [(f"t{n}", i) for n in range(4) for i in range(40)]
    )


def test_a_writer_killed_mid_stream_loses_no_acknowledged_entry(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), "w", "100000", "20000"], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    acked = [int(proc.stdout.readline()) for _ in range(150)]
    os.kill(proc.pid, signal.SIGKILL)  # somewhere in the middle of further appends
    proc.wait(10)
    acked += [int(line) for line in proc.stdout.read().split()]
    report = verify_chain(path)
    assert report.ok or report.problem == "torn", report  # never reported as tampering
    written = [s for _, s in seqs(path)]
    assert written[: len(acked)] == acked == list(range(len(acked)))  # 0 acknowledged entries lost
    AuditLog(path, max_bytes=20000).append({"writer": "after", "seq": 0})
    after = verify_chain(path)
    assert after.ok and after.entries == len(written) + 1


def test_a_missing_log_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "verify", "--path", str(tmp_path / "none.jsonl")]) == 1
    assert "No audit log at" in capsys.readouterr().err


def test_tail_shows_request_entries_and_answers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    log.append(
        {
            "event": "http",
            "method": "POST",
            "path": "/api/ask",
            "status": 401,
            "user": "anonymous",
            "duration_ms": 1.5,
            "error": "unauthorized",
        }
    )
    log.append(
        {
            "event": "ask",
            "user": "cli",
            "role": "exec",
            "status": "answered",
            "question": "本月销售额",
            "row_count": 3,
            "timings_ms": {"total": 12},
        }
    )
    monkeypatch.setenv("METRICQA_AUDIT_LOG", str(path))
    assert main(["audit", "tail", "-n", "5"]) == 0
    first, second = capsys.readouterr().out.splitlines()
    assert first.endswith("anonymous POST /api/ask 401 1.5ms unauthorized")
    assert "cli/exec answered  rows=3 12ms  本月销售额" in second
