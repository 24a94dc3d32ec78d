"""The auditor's report of one run: ``report.html`` in the run folder.

One self-contained page: the run's summary first (status, who ran what and when, each
notebook's status, duration and headline results, the parameters, the git commit), then
every executed notebook in order without its code cells (nbconvert's ``exclude_input``),
so an auditor reads findings and tables, not Python. It is built as one notebook (a
summary output cell, then each notebook's cells) and exported once, so it carries one
copy of the stylesheet.

``finish_record`` is what the runner calls once the status is final and before the
manifest is sealed: write the report, then pass every file of the folder through the
redactor (``scrub_tree``), so the hashes the manifest seals are of redacted files.
``NotebookCopies`` writes each executed notebook into the record as soon as it ends,
redacted in memory first (nothing unredacted touches the record's folder), and its own
HTML copy once a background export, run while the next notebook runs, has finished.
"""

from __future__ import annotations

import html
import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from aigov.runbook.files import Refused
from aigov.runbook.redact import Redactor, scrub_tree, stamp

REPORT = "report.html"


def duration_s(manifest: dict[str, Any]) -> float | None:
    """Seconds from start to finish, or None while the run has not finished."""
    try:
        start = datetime.fromisoformat(manifest["started"])
        end = datetime.fromisoformat(manifest["finished"])
    except (KeyError, TypeError, ValueError):
        return None
    return round((end - start).total_seconds(), 1)


def _cell(value: Any) -> str:
    if isinstance(value, dict):
        value = ", ".join(f"{k}: {_short(v)}" for k, v in value.items())
    return html.escape(_short(value))


def _short(value: Any, limit: int = 200) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _table(rows: list[tuple[str, Any]]) -> str:
    body = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
                   f"<td style='text-align:left'>{_cell(v)}</td></tr>" for k, v in rows)
    return f"<table>{body}</table>"


def summary_html(manifest: dict[str, Any]) -> str:
    """The summary block: the run, then one row per notebook, then the parameters."""
    m = manifest
    status = m.get("status", "incomplete") + (" (interrupted)" if m.get("interrupted") else "")
    head = _table([("run", m.get("run_id")), ("profile", m.get("profile")),
                   ("status", status), ("started", m.get("started")),
                   ("finished", m.get("finished") or "not finished"),
                   ("duration (s)", duration_s(m)),
                   ("git commit", f"{(m.get('git') or {}).get('commit')}"
                    + (" (uncommitted changes)" if (m.get("git") or {}).get("dirty") else "")),
                   ("previous run", (m.get("previous") or {}).get("run_id", "none"))])
    rows = "".join(
        "<tr>" + "".join(f"<td style='text-align:left'>{_cell(v)}</td>" for v in (
            nb.get("name"), nb.get("status"), nb.get("duration_s"),
            nb.get("error", ""), nb.get("results") or {})) + "</tr>"
        for nb in m.get("notebooks", []))
    notebooks = ("<table><tr><th>notebook</th><th>status</th><th>seconds</th><th>error</th>"
                 f"<th>results</th></tr>{rows}</table>")
    params = _table(sorted((m.get("parameters") or {}).items()))
    return (f"<h1>aigov run {html.escape(str(m.get('run_id')))}</h1>{head}"
            f"<h2>Notebooks</h2>{notebooks}<h2>Parameters</h2>{params}"
            "<p>Integrity: <code>aigov verify</code> recomputes the sha256 of every file "
            "of this record (listed in manifest.json) and the chain to the previous run.</p>")


def build_report(run_dir: Path, manifest: dict[str, Any]) -> str:
    """The report's HTML: the summary, then each executed notebook without code."""
    import nbformat
    from nbconvert import HTMLExporter

    book = nbformat.v4.new_notebook()
    book.cells.append(nbformat.v4.new_code_cell(source="", outputs=[
        nbformat.v4.new_output("display_data", data={"text/html": summary_html(manifest),
                                                     "text/plain": "run summary"})]))
    for entry in manifest.get("notebooks", []):
        path = run_dir / f"{entry['name']}.ipynb"
        book.cells.append(nbformat.v4.new_markdown_cell(
            f"---\n# Notebook {entry['name']}: {entry.get('status')}"))
        if path.is_file():
            book.cells.extend(nbformat.read(str(path), as_version=4).cells)
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(book, resources={
        "metadata": {"name": f"aigov run {manifest.get('run_id')}"}})
    return body


def write_report(run_dir: Path, manifest: dict[str, Any], redactor: Redactor,
                 done: dict[str, tuple] | None = None) -> Path:
    path = run_dir / REPORT
    data = redactor.text(build_report(run_dir, manifest)).encode("utf-8")
    path.write_bytes(data)
    if done is not None:
        done[REPORT] = stamp(data, redactor)
    return path


def finish_record(run_dir: Path, manifest: dict[str, Any], redactor: Redactor,
                  done: dict[str, tuple] | None = None) -> list[Refused]:
    """Before the manifest is sealed: redact the manifest's values, write the report,
    and pass every file of the run folder (half-written notebooks included) through
    the redactor; return the files refused and removed (links, files that are not
    text). ``done``: files already redacted, skipped only when their bytes are those
    a pass with the same secrets wrote (``redact.redact_tree``)."""
    for key, value in list(manifest.items()):
        manifest[key] = redactor.value(value)
    try:
        write_report(run_dir, manifest, redactor, done)
    except Exception as exc:  # noqa: BLE001 - the record must be sealed whatever happens
        manifest["report_error"] = redactor.text(f"{type(exc).__name__}: {exc}")
    return scrub_tree(run_dir, redactor, done)


class NotebookCopies:
    """Each executed notebook into the record, with its HTML copy exported in the
    background while the next notebook runs.

    ``add`` redacts the notebook in memory and writes it (papermill's own copy stays
    outside the record), then hands the redacted text to one export thread. The thread
    only returns HTML; ``collect``, in the runner's thread, redacts it again and writes
    it, so nothing is written into the record while a pass over it runs, and nothing
    unredacted touches it. Each file written is noted in ``done`` so later passes skip
    it while its bytes are unchanged (``redact.redact_tree``).
    """

    def __init__(self, redactor: Redactor, done: dict[str, tuple]) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self._redactor, self._done = redactor, done
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="aigov-html")
        self._pending: list[tuple[Path, Any]] = []

    def _write(self, path: Path, text: str) -> None:
        data = self._redactor.text(text).encode("utf-8")
        path.write_bytes(data)
        self._done[path.name] = stamp(data, self._redactor)

    def add(self, scratch: Path, out: Path) -> None:
        text = self._redactor.text(scratch.read_text(encoding="utf-8"))
        self._write(out, text)
        self._pending.append((out.with_suffix(".html"), self._pool.submit(_html, text)))

    def collect(self, wait: bool = False) -> None:
        """Write the HTML copies exported so far (all of them with ``wait``); an
        export that failed raises here, as it would have in the runner's thread."""
        pending, self._pending = self._pending, []
        for i, (path, future) in enumerate(pending):
            if not (wait or future.done()):
                self._pending.append((path, future))
                continue
            try:
                self._write(path, future.result())
            except BaseException:
                self._pending.extend(pending[i + 1:])
                raise

    def close(self) -> None:
        """Write every copy still exported, then stop the thread."""
        try:
            self.collect(wait=True)
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)


def _html(text: str) -> str:
    import nbformat

    html, _ = _html_exporter().from_notebook_node(nbformat.reads(text, as_version=4))
    return html


@cache
def _html_exporter() -> Any:
    """One HTML exporter per process (built once: it loads and compiles its templates),
    used by the export thread only."""
    from nbconvert import HTMLExporter

    return HTMLExporter()
