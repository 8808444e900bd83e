"""Append-only, hash-chained audit log: one JSON line per event, fsynced before ``append`` returns.

Each line carries ``prev`` (the hash of the entry before it; ``GENESIS`` for the first entry ever)
and ends with its own ``"hash"``: the SHA-256 of the line's bytes up to that field. Editing,
removing or reordering an entry breaks the chain and ``verify_chain`` names the first bad line.

    log = AuditLog(home / "audit.jsonl", max_bytes=50_000_000)
    log.append({"event": "http", "path": "/api/ask", "status": 200})
    report = verify_chain(home / "audit.jsonl")   # report.ok, report.entries, report.problem

Writers in threads and in several processes share the file: ``flock`` serialises
read-last-hash + append. A file over ``max_bytes`` is renamed to ``audit.jsonl.1`` (``.2`` …, oldest
first) and the new file's first entry chains to the rotated file's last hash. A writer killed
mid-line leaves a torn last line; the next append starts on a new line and chains to the last
complete entry, and ``verify_chain`` reports the torn line as torn, never as tampering.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

GENESIS = "0" * 64
HASH_TAIL = re.compile(rb',"hash":"([0-9a-f]{64})"\}\r?$')
TAIL_BLOCK = 64 * 1024
MAX_REOPENS = 100

Problem = Literal["edited", "removed", "reordered", "torn"]


@dataclass(frozen=True)
class ChainEntry:
    """One complete line: where it is, the hash it claims, the hash its bytes give, its ``prev``."""

    file: Path
    line: int
    stored: str
    computed: str
    prev: str | None


@dataclass(frozen=True)
class ChainReport:
    """What ``verify_chain`` found: entries checked, the first problem (or None), torn writes repaired."""

    entries: int
    files: tuple[Path, ...]
    last_hash: str
    problem: Problem | None = None
    where: str | None = None
    repaired: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return self.problem is None


def entry_hash(body: bytes) -> str:
    """The hash of a line's bytes before its ``,"hash":…`` tail (the body closes with ``}``)."""
    return hashlib.sha256(body).hexdigest()


def chained_line(entry: dict[str, Any], prev: str) -> tuple[bytes, str]:
    """``entry`` as one JSON line with ``prev`` and, last, its own ``hash``; and that hash."""
    body = json.dumps({**entry, "prev": prev}, ensure_ascii=False, default=str)
    raw = body.encode("utf-8", "backslashreplace")  # a lone surrogate stays a JSON \\u escape
    digest = entry_hash(raw)
    return raw[:-1] + b',"hash":"' + digest.encode() + b'"}\n', digest


def parse_line(raw: bytes) -> tuple[str, str, str | None] | None:
    """(stored hash, computed hash, prev) of a complete line; None for a torn or foreign one."""
    match = HASH_TAIL.search(raw)
    if match is None:
        return None
    body = raw[: match.start()] + b"}"
    try:
        prev = json.loads(body).get("prev")
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
        return None
    return match.group(1).decode(), entry_hash(body), prev if isinstance(prev, str) else None


def rotated_files(path: Path) -> list[Path]:
    """``path.1``, ``path.2`` … in the order they were rotated (oldest first)."""
    numbered = []
    for sibling in path.parent.glob(path.name + ".*"):
        suffix = sibling.name[len(path.name) + 1 :]
        if suffix.isdigit():
            numbered.append((int(suffix), sibling))
    return [p for _, p in sorted(numbered)]


def last_hash_in(fd: int, size: int) -> str | None:
    """The stored hash of the last complete entry in an open file, reading back from its end."""
    end = size
    carry = b""
    while end > 0:
        start = max(0, end - TAIL_BLOCK)
        chunk = os.pread(fd, end - start, start) + carry
        lines = chunk.split(b"\n")
        carry = lines[0] if start > 0 else b""
        for raw in reversed(lines[1:] if start > 0 else lines):
            parsed = parse_line(raw)
            if parsed is not None:
                return parsed[0]
        end = start
    return None


def last_hash_of(path: Path) -> str | None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        return last_hash_in(fd, os.fstat(fd).st_size)
    finally:
        os.close(fd)


class AuditLog:
    """Appends chained entries to ``path``; rotates it past ``max_bytes`` (0: never)."""

    def __init__(self, path: Path, max_bytes: int = 0) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._cached: tuple[int, int, str] | None = None  # (inode, size, last hash) after our write

    def append(self, entry: dict[str, Any]) -> None:
        record = {"ts": datetime.now(UTC).isoformat(timespec="milliseconds"), **entry}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            for _ in range(MAX_REOPENS):
                if self._append_once(record):
                    return
                # the file was rotated (or replaced) while we waited for its lock: open the new one
        raise OSError(f"audit log {self.path} kept being replaced while appending")

    def _append_once(self, record: dict[str, Any]) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            stat = os.fstat(fd)
            if not self._is_current(stat.st_ino):
                return False
            if self.max_bytes and stat.st_size >= self.max_bytes:
                self._rotate()
                return False
            prev = self._prev_hash(fd, stat.st_ino, stat.st_size)
            line, digest = chained_line(record, prev)
            if stat.st_size and os.pread(fd, 1, stat.st_size - 1) != b"\n":
                line = b"\n" + line  # a writer was killed mid-line: leave it, start afresh
            write_all(fd, line)
            os.fsync(fd)
            self._cached = (stat.st_ino, stat.st_size + len(line), digest)
            return True
        finally:
            os.close(fd)  # closing drops the flock

    def _is_current(self, inode: int) -> bool:
        try:
            return os.stat(self.path).st_ino == inode
        except FileNotFoundError:
            return False

    def _prev_hash(self, fd: int, inode: int, size: int) -> str:
        if self._cached is not None and self._cached[:2] == (inode, size):
            return self._cached[2]  # nobody wrote since our last entry
        found = last_hash_in(fd, size)
        if found is not None:
            return found
        for older in reversed(rotated_files(self.path)):
            found = last_hash_of(older)
            if found is not None:
                return found
        return GENESIS

    def _rotate(self) -> None:
        """Rename the full file to the next free number (called holding its lock)."""
        existing = rotated_files(self.path)
        number = int(existing[-1].name.rsplit(".", 1)[1]) + 1 if existing else 1
        os.rename(self.path, self.path.with_name(f"{self.path.name}.{number}"))
        self._cached = None

    def tail(self, n: int = 20) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        out: list[dict[str, Any]] = []
        for line in self.path.read_text(encoding="utf-8", errors="replace").splitlines()[-n:]:
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a torn line from a killed process
        return out


def write_all(fd: int, data: bytes) -> None:
    """Write every byte (a short write would otherwise leave a torn line behind)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


# --- verification ---------------------------------------------------------------------------


def read_entries(files: list[Path]) -> Iterator[ChainEntry | str]:
    """Each non-empty line as a ``ChainEntry``, or as ``"file:line"`` when it has no complete hash tail."""
    for path in files:
        for number, raw in enumerate(path.read_bytes().split(b"\n"), start=1):
            if not raw.strip():
                continue
            parsed = parse_line(raw)
            yield f"{path}:{number}" if parsed is None else ChainEntry(path, number, *parsed)


def verify_chain(path: Path) -> ChainReport:
    """Check the chain over the rotated files and ``path``; stop at the first bad line."""
    files = [*rotated_files(path), *([path] if path.exists() else [])]
    entries = list(read_entries(files))
    first_seen: dict[str, int] = {}
    for index, item in enumerate(entries):
        if isinstance(item, ChainEntry):
            first_seen.setdefault(item.stored, index)
    expected, count = GENESIS, 0
    torn: str | None = None
    repaired: list[str] = []
    for index, item in enumerate(entries):
        if not isinstance(item, ChainEntry):
            torn = item
            continue
        problem = entry_problem(item, expected, first_seen, index)
        if problem is not None:
            if torn is not None and problem == "removed":
                problem, where = "edited", torn  # a damaged line, not a torn write: the chain runs through it
            else:
                where = f"{item.file}:{item.line}"
            return ChainReport(count, tuple(files), expected, problem, where, tuple(repaired))
        if torn is not None:
            repaired.append(torn)
            torn = None
        expected, count = item.stored, count + 1
    if torn is not None:
        return ChainReport(count, tuple(files), expected, "torn", torn, tuple(repaired))
    return ChainReport(count, tuple(files), expected, repaired=tuple(repaired))


def entry_problem(entry: ChainEntry, expected: str, first_seen: dict[str, int], index: int) -> Problem | None:
    """Edited (its bytes changed), reordered (moved or copied: it chains elsewhere), or removed."""
    if entry.stored != entry.computed:
        return "edited"
    if entry.prev == expected and first_seen[entry.stored] == index:
        return None
    moved = first_seen[entry.stored] != index or (entry.prev or "") in first_seen
    return "reordered" if moved else "removed"
