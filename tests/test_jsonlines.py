"""The JSON Lines streams of ``simulate --batch`` and ``prove --batch``: read as bytes in
blocks, answered in order, written a block at a time, and every answer on its way before
the batch waits for more input (docs/contracts/batch-simulation.md, "Streams")."""

from __future__ import annotations

import io
import json
import os
import select
import subprocess
import sys
from pathlib import Path

import pytest

from aigov.policy import jsonlines
from aigov.policy.batch import run_batch
from aigov.policy.prove.batch import run_batch as prove_batch

FULL = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}
DENY_S3 = {"Version": "2012-10-17",
           "Statement": [{"Sid": "NoS3", "Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}
GET = {"action": "s3:GetObject", "resource": "arn:aws:s3:::b/k"}
S3_DENIED = {"expect": "always-denied", "action": "s3:GetObject",
             "principal": "arn:aws:iam::${account}:role/admin"}


def line(i: int, *levels: list) -> bytes:
    return json.dumps({"id": i, "scps": list(levels) or [[FULL]], "request": GET}).encode()


class Recorder(io.RawIOBase):
    """A raw stream that keeps each write it is handed, as the operating system sees it."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, b: bytes) -> int:  # type: ignore[override]
        self.writes.append(bytes(b))
        return len(b)


def unbuffered_stdout() -> tuple[io.TextIOWrapper, Recorder]:
    """``sys.stdout`` as ``PYTHONUNBUFFERED=1`` makes it: every text write goes through."""
    raw = Recorder()
    return io.TextIOWrapper(io.BufferedWriter(raw), encoding="utf-8", write_through=True), raw


def test_a_file_is_answered_a_block_at_a_time_not_a_write_per_line() -> None:
    """On an unbuffered stdout (PYTHONUNBUFFERED=1, common in containers) a write per
    answer is a system call per line; a file's answers go out together."""
    data = b"".join(line(i) + b"\n" for i in range(200))
    out, raw = unbuffered_stdout()
    assert run_batch(io.BufferedReader(io.BytesIO(data)), out) == 0
    got = b"".join(raw.writes).decode().splitlines()
    assert [json.loads(x)["id"] for x in got] == list(range(200))
    assert len(raw.writes) <= 2


def test_lines_split_across_reads_crlf_and_a_last_line_without_newline(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever the read size, a line is a line: the answers are those of the text read
    whole. ``\\r\\n`` ends a line too (``\\r`` is JSON whitespace)."""
    lines = [line(0), line(1, [FULL, DENY_S3]), b"", b"{oops", line(4, [])]
    data = b"\r\n".join(lines[:3]) + b"\n" + b"\n".join(lines[3:])  # no final newline
    whole = io.StringIO()
    assert run_batch(io.StringIO(data.decode()), whole) == 2
    for size in (1, 7, 64, len(data) + 1):
        monkeypatch.setattr(jsonlines, "READ_BLOCK", size)
        out = io.StringIO()
        assert run_batch(io.BytesIO(data), out) == 2
        assert out.getvalue() == whole.getvalue()
    got = [json.loads(x) for x in whole.getvalue().splitlines()]
    assert [g.get("decision") or g["error"][:22] for g in got] == [
        "allow", "deny", "line 3: empty line", "line 4: not JSON: unex", "deny"]


def test_a_line_that_is_not_utf8_is_refused_on_its_line_and_the_rest_answered(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Bad input, not a bug: exit 2 with the line named, never exit 3 (the text reader
    raised UnicodeDecodeError before any line was answered)."""
    from aigov.cli import main

    f = tmp_path / "cases.jsonl"
    f.write_bytes(line(1) + b"\n" + b'{"id": "\xff"}\n' + line(3) + b"\n")
    assert main(["simulate", "--batch", str(f)]) == 2
    got = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [g.get("decision") for g in got] == ["allow", None, "allow"]
    assert got[1]["error"].startswith("line 2: not JSON") and "UTF-8" in got[1]["error"]
    assert main(["prove", "--batch", str(f)]) == 2
    assert "line 2: not JSON" in capsys.readouterr().out


def _readline(stream: io.BufferedReader, timeout: float = 20.0) -> bytes:
    ready, _, _ = select.select([stream], [], [], timeout)
    assert ready, "no answer while the batch waits for its next line"
    return stream.readline()


@pytest.mark.parametrize("command", ["simulate", "prove"])
def test_a_program_that_waits_for_each_answer_gets_it(command: str) -> None:
    """A caller that writes a line and waits for its answer (a coprocess) gets it before
    it sends the next: the answers are flushed before the batch reads again, whatever
    PYTHONUNBUFFERED says (a pipe is otherwise block-buffered, and both would wait)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    proc = subprocess.Popen([sys.executable, "-m", "aigov.cli", command, "--batch", "-"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    assert proc.stdin and proc.stdout
    try:
        for i in range(3):
            if command == "simulate":
                text = line(i, [FULL, DENY_S3] if i % 2 else [FULL])
            else:
                text = json.dumps({"id": i, "scps": [[FULL, DENY_S3]],
                                   "property": S3_DENIED}).encode()
            proc.stdin.write(text + b"\n")
            proc.stdin.flush()
            assert json.loads(_readline(proc.stdout))["id"] == i
        proc.stdin.close()
        assert proc.wait(timeout=20) == 0
    finally:
        proc.kill()


def test_prove_answers_go_out_as_each_is_proven(monkeypatch: pytest.MonkeyPatch) -> None:
    """A proof can take seconds: its answer is written when it is found, not with its
    block (one write per answer once answering has taken a tenth of a second)."""
    props = [json.dumps({"id": i, "scps": [[FULL, DENY_S3]], "property": S3_DENIED})
             for i in range(3)]
    out, raw = unbuffered_stdout()
    monkeypatch.setattr(jsonlines, "FLUSH_AFTER", 0.0)
    assert prove_batch(io.BytesIO("\n".join(props).encode()), out) == 0
    assert len(raw.writes) == 3


@pytest.mark.parametrize("block", [5, 64, 300, 1 << 20])
def test_a_line_over_the_limit_is_refused_on_its_line_without_being_held(
        block: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A hostile file may hold one line of gigabytes: it is skipped as it is read (never
    joined), refused on its line, and the lines around it are answered; so is a last
    line over the limit without a newline. The limit comes from AIGOV_MAX_LINE_BYTES."""
    monkeypatch.setenv("AIGOV_MAX_LINE_BYTES", "200")
    monkeypatch.setattr(jsonlines, "READ_BLOCK", block)
    short = line(1)
    assert len(short) <= 200
    long = json.dumps({"id": 2, "scps": [[FULL]] * 5, "request": GET}).encode()
    assert len(long) > 200
    data = b"\n".join([short, long, short, b" " * 201, short, long])
    out = io.StringIO()
    assert run_batch(io.BytesIO(data), out) == 2
    got = [json.loads(x) for x in out.getvalue().splitlines()]
    assert [g.get("decision") or g["error"] for g in got] == [
        "allow", "line 2: longer than 200 bytes (AIGOV_MAX_LINE_BYTES); a line holds one case",
        "allow", "line 4: longer than 200 bytes (AIGOV_MAX_LINE_BYTES); a line holds one case",
        "allow", "line 6: longer than 200 bytes (AIGOV_MAX_LINE_BYTES); a line holds one case"]


def test_the_line_limit_must_be_a_number(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from aigov.cli import main

    monkeypatch.setenv("AIGOV_MAX_LINE_BYTES", "lots")
    f = tmp_path / "cases.jsonl"
    f.write_bytes(line(1) + b"\n")
    assert main(["simulate", "--batch", str(f)]) == 2
    assert "AIGOV_MAX_LINE_BYTES='lots' is not a positive whole number" in capsys.readouterr().err


class Endless(io.RawIOBase):
    """``size`` bytes of ``x`` and then ``tail``, made as they are read."""

    def __init__(self, size: int, tail: bytes) -> None:
        self.left, self.tail = size, tail

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray) -> int:  # type: ignore[override]
        if self.left:
            n = min(len(b), self.left)
            b[:n] = b"x" * n
            self.left -= n
            return n
        n = min(len(b), len(self.tail))
        b[:n], self.tail = self.tail[:n], self.tail[n:]
        return n


def test_a_huge_line_costs_no_more_memory_than_a_block(monkeypatch: pytest.MonkeyPatch) -> None:
    import tracemalloc

    monkeypatch.setenv("AIGOV_MAX_LINE_BYTES", "1000")
    src = io.BufferedReader(Endless(64 << 20, b"\n" + line(2) + b"\n"))
    out = io.StringIO()
    tracemalloc.start()
    try:
        assert run_batch(src, out) == 2
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [json.loads(x).get("decision") for x in out.getvalue().splitlines()] == [None, "allow"]
    assert peak < 8 << 20, f"{peak:,} bytes at the peak for a 64 MiB line"
