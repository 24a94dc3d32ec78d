"""JSON Lines in and out for the batch contracts (``simulate --batch``, ``prove --batch``).

Input is read as bytes, a block at a time (``read1``: what is there, waiting only when
nothing is), and split on ``\\n`` as JSON Lines defines a line (a ``\\r`` before it is
JSON whitespace). Bytes, because the JSON reader takes them as they are: a line that is
not UTF-8 is then refused on its line, like any other line that is not JSON, where a
text reader raised before any line was answered. The answers to one block are written
together, so a file costs a write per block, not one per line (``PYTHONUNBUFFERED=1``,
common in containers, made every answer a system call); and every answer is flushed
before the batch waits for more input, and whenever answering has taken longer than
``FLUSH_AFTER`` since the last write, so a program that writes a line and waits for its
answer gets it, and a slow proof's answer goes out when it is found.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from typing import IO, Any

import orjson

from aigov.limits import LIMIT_ENV, size_limit

# Bytes asked of the input per read: a file is read in blocks of this size, a pipe
# gives what it holds.
READ_BLOCK = 1 << 20

# Seconds of answering after which the answers so far are written without waiting for
# the end of the block.
FLUSH_AFTER = 0.1

Answer = dict[str, Any]


class Overlong(bytes):
    """Stands for a line longer than the limit (``limits.MAX_LINE_BYTES``): its bytes are
    skipped as they are read, never held, and the line is refused on its own line."""

    limit: int


def blocks_of_lines(infile: IO[Any], limit: int) -> Iterator[list[bytes] | list[str]]:
    """The lines of ``infile`` without their ``\\n``, a block at a time: each block is
    what could be read without waiting. A line longer than ``limit`` bytes comes as an
    ``Overlong``. A text stream without a byte buffer under it (``io.StringIO``, whose
    text is in memory already) gives its lines one at a time, as it splits them, with
    no limit."""
    read1 = getattr(infile, "read1", None) or getattr(getattr(infile, "buffer", None),
                                                      "read1", None)
    if read1 is None:
        for text in infile:
            yield [text]
        return
    overlong = Overlong()
    overlong.limit = limit
    partial: list[bytes] = []  # the pieces of a line that goes on into the next block
    size = 0  # their length
    skipping = False  # the line that goes on is longer than the limit
    while block := read1(READ_BLOCK):
        lines = block.split(b"\n")
        if len(lines) == 1:
            if not skipping:
                size += len(block)
                if size > limit:
                    skipping, partial = True, []
                else:
                    partial.append(block)
            continue
        if skipping:
            lines[0] = overlong
        elif partial:
            partial.append(lines[0])
            lines[0] = overlong if size + len(lines[0]) > limit else b"".join(partial)
        tail = lines.pop()
        size, skipping = len(tail), len(tail) > limit
        partial = [tail] if tail and not skipping else []
        if len(block) > limit:  # only then can a line read whole be too long
            lines = [overlong if len(x) > limit else x for x in lines]
        yield lines
    if skipping:
        yield [overlong]
    elif partial:
        yield [b"".join(partial)]


def numbered(n: int, line: bytes | str, answer: Callable[[bytes | str], Answer]) -> Answer:
    """``answer(line)`` for line ``n`` (1-based), its error prefixed with the line number;
    an empty line, and one too long, is an error of its own."""
    if not line or line.isspace():  # strip() would copy the line
        if type(line) is Overlong:
            return {"id": None, "error": f"line {n}: longer than {line.limit:,} bytes "
                    f"({LIMIT_ENV['line']}); a line holds one case"}
        return {"id": None, "error": f"line {n}: empty line"}
    out = answer(line)
    if "error" in out:
        out["error"] = f"line {n}: {out['error']}"
    return out


def _writer(outfile: IO[Any]) -> Callable[[bytes], None]:
    """Write and flush bytes on ``outfile``: on its byte buffer when it has one (the text
    layer flushed first, and not written again meanwhile), else as text."""
    buffer = getattr(outfile, "buffer", None)
    if buffer is not None:
        outfile.flush()

        def write(data: bytes) -> None:
            buffer.write(data)
            buffer.flush()
    elif isinstance(outfile, io.RawIOBase | io.BufferedIOBase):
        def write(data: bytes) -> None:
            outfile.write(data)
            outfile.flush()
    else:
        def write(data: bytes) -> None:
            outfile.write(data.decode())
            outfile.flush()
    return write


def answer_stream(infile: IO[Any], outfile: IO[Any], answer: Callable[[bytes | str], Answer],
                  grade: Callable[[Answer], int],
                  after_block: Callable[[int], None] | None = None) -> int:
    """Answer every line of ``infile`` on ``outfile`` in order; the exit code is the
    highest ``grade`` of an answer (0 when there were none). ``after_block(n)`` runs
    after each block, ``n`` the lines answered so far."""
    limit = size_limit("line")
    write = _writer(outfile)
    dumps, option = orjson.dumps, orjson.OPT_APPEND_NEWLINE
    clock = time.monotonic
    status = n = 0
    for lines in blocks_of_lines(infile, limit):
        pending: list[bytes] = []
        since = clock()
        for line in lines:
            n += 1
            out = numbered(n, line, answer)
            status = max(status, grade(out))
            pending.append(dumps(out, option=option))
            if clock() - since >= FLUSH_AFTER:
                write(b"".join(pending))
                pending = []
                since = clock()
        if pending:
            write(b"".join(pending))
        if after_block is not None:
            after_block(n)
    return status
