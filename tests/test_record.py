"""Run records that hold up: verify names the changed file of the changed run, ``aigov
runs`` lists them, each has an auditor's report, and an interrupted run never claims
success. Real ``aigov run``s of the small profiles in tests/fixtures/runbook/."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aigov.runbook.record import MANIFEST, list_runs
from aigov.runbook.report import REPORT
from conftest import FIXTURES, ROOT, run_cli

pytestmark = pytest.mark.slow  # end-to-end: runs notebooks or the whole runbook

FIXTURE_ROOT = FIXTURES / "runbook"


def _env(outputs: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    env.update(AIGOV_OUTPUTS=str(outputs), AIGOV_ROOT=str(FIXTURE_ROOT), **extra)
    return env


def _aigov(outputs: Path, *args: str) -> subprocess.CompletedProcess:
    return run_cli(*args, outputs=outputs, timeout=600, AIGOV_ROOT=str(FIXTURE_ROOT))


def _manifest(run_dir: Path) -> dict:
    return json.loads((run_dir / MANIFEST).read_text())


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory) -> Path:
    outputs = tmp_path_factory.mktemp("outputs")
    for _ in range(3):
        proc = _aigov(outputs, "run", "--profile", "tiny")
        assert proc.returncode == 0, proc.stderr[-3000:]
    return outputs


@pytest.fixture
def copy(three_runs, tmp_path) -> Path:
    """A copy of the three records to tamper with."""
    out = tmp_path / "outputs"
    shutil.copytree(three_runs / "runs", out / "runs")
    return out


def _flip_one_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    i = len(data) // 2
    data[i] = ord("x") if data[i] != ord("x") else ord("y")
    path.write_bytes(bytes(data))


def test_untouched_records_verify(three_runs):
    proc = _aigov(three_runs, "verify")
    assert proc.returncode == 0, proc.stdout
    assert "verified 3 run record(s)" in proc.stdout


@pytest.mark.parametrize("name", ["tiny.ipynb", "tiny.html", "results/tiny.json", REPORT])
def test_verify_names_the_file_and_run_with_one_changed_byte(copy, name):
    middle = list_runs(copy / "runs")[1]
    _flip_one_byte(middle / name)
    proc = _aigov(copy, "verify")
    assert proc.returncode == 1
    assert proc.stdout.splitlines()[0] == \
        f"{middle.name}/{name}: changed since the run (sha256 differs)"
    assert _aigov(copy, "verify", str(list_runs(copy / "runs")[2])).returncode == 0


def test_verify_names_a_changed_manifest_and_the_broken_link(copy):
    first, second, _ = list_runs(copy / "runs")
    text = (first / MANIFEST).read_text()
    (first / MANIFEST).write_text(text.replace('"succeeded"', '"succeedes"', 1))
    proc = _aigov(copy, "verify")
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert f"{first.name}/{MANIFEST}: the manifest was changed after it was written" in lines
    assert any(ln.startswith(f"{first.name}/{MANIFEST}: changed since the next run "
                             f"({second.name})") for ln in lines)


def test_verify_names_a_run_removed_from_the_middle_of_the_chain(copy):
    first, second, third = list_runs(copy / "runs")
    shutil.rmtree(second)
    proc = _aigov(copy, "verify")
    assert proc.returncode == 1
    problems = [ln for ln in proc.stdout.splitlines() if not ln.startswith(("checked:",
                                                                            "not checked:"))]
    assert problems == [
        f"{third.name}/{MANIFEST}: links to {second.name}, but the run before it is "
        f"{first.name} (a run was removed?)"]


def test_verify_names_a_file_added_to_a_record(copy):
    last = list_runs(copy / "runs")[2]
    (last / "results" / "extra.json").write_text("{}")
    proc = _aigov(copy, "verify")
    assert proc.returncode == 1
    assert f"{last.name}/results/extra.json: not listed in the manifest" in proc.stdout


def test_runs_lists_each_record_with_profile_status_headline_and_duration(three_runs):
    proc = _aigov(three_runs, "runs", "--json")
    assert proc.returncode == 0
    rows = json.loads(proc.stdout)
    assert [r["run_id"] for r in rows] == [p.name for p in list_runs(three_runs / "runs")]
    for r in rows:
        assert (r["profile"], r["status"], r["verified"]) == ("tiny", "succeeded", True)
        assert r["headline"] == {"changes_applied": 1}
        assert r["duration_s"] > 0 and r["report"].endswith(REPORT)
    text = _aigov(three_runs, "runs")
    assert text.returncode == 0 and rows[0]["run_id"] in text.stdout


def test_runs_marks_a_tampered_record(copy):
    _flip_one_byte(list_runs(copy / "runs")[0] / "tiny.ipynb")
    rows = json.loads(_aigov(copy, "runs", "--json").stdout)
    assert [r["verified"] for r in rows] == [False, True, True]


def test_report_puts_the_summary_first_and_shows_no_code(three_runs):
    run_dir = list_runs(three_runs / "runs")[0]
    report = (run_dir / REPORT).read_text()
    summary = report.index(f"aigov run {run_dir.name}</h1>")
    assert summary < report.index("Notebook tiny: succeeded")
    assert "answer" in report  # the notebook's recorded result, in the summary
    assert "ctx.record" not in report and "import start" not in report
    assert REPORT in _manifest(run_dir)["outputs"]


def _wait_for(path: Path, proc: subprocess.Popen, bound_s: float = 300) -> None:
    deadline = time.monotonic() + bound_s
    while not path.exists():
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        assert time.monotonic() < deadline, "the sleeper notebook never started"
        time.sleep(0.2)


def _kernel_pid(marker: Path) -> int:
    """The pid the sleeper notebook's kernel wrote into the marker; it is a kernel."""
    deadline = time.monotonic() + 30
    while not (text := marker.read_text().strip()):
        assert time.monotonic() < deadline, "the sleeper never wrote its pid"
        time.sleep(0.1)
    pid = int(text)
    assert b"ipykernel" in Path(f"/proc/{pid}/cmdline").read_bytes()
    return pid


def _stopped(pid: int, bound_s: float = 30) -> bool:
    """True once ``pid`` has exited (gone, or a zombie left for init to reap)."""
    deadline = time.monotonic() + bound_s
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def sleeping_run(tmp_path):
    """``aigov run`` of the ``interrupted`` profile, stopped inside its second notebook;
    yields the outputs folder, the runner process and the sleeping kernel's pid."""
    outputs, marker, scratch = tmp_path / "outputs", tmp_path / "marker", tmp_path / "tmp"
    scratch.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "aigov.cli", "run", "--profile",
                             "interrupted"], cwd=ROOT, env=_env(outputs, TMPDIR=str(scratch),
                                                                AIGOV_TEST_MARKER=str(marker)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(marker, proc)
        yield outputs, proc, _kernel_pid(marker)
    finally:
        marker.unlink(missing_ok=True)  # lets an orphaned kernel's loop end
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=120)


def test_ctrl_c_leaves_a_record_marked_incomplete_that_verifies(sleeping_run, tmp_path):
    outputs, proc, kernel = sleeping_run
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=300) == 130
    assert _stopped(kernel), "the kernel outlived the interrupted run"
    err = proc.communicate(timeout=60)[1]
    assert "Traceback" not in err and "ZMQError" not in err
    assert list((tmp_path / "tmp").glob("aigov-nb-*")) == []
    (run_dir,) = list_runs(outputs / "runs")
    m = _manifest(run_dir)
    assert (m["status"], m["interrupted"]) == ("incomplete", True)
    assert [nb["name"] for nb in m["notebooks"]] == ["tiny"]
    assert m["finished"] and (run_dir / REPORT).is_file()
    assert _aigov(outputs, "verify").returncode == 0


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)],
                         ids=["SIGTERM", "SIGHUP"])
def test_sigterm_and_sighup_end_a_run_like_ctrl_c_and_stop_the_kernel(sleeping_run, tmp_path,
                                                                     sig, code):
    """What systemd and Airflow send (SIGTERM), or a closed terminal (SIGHUP): the record
    is marked interrupted, the report written, the kernel process stopped (no orphaned
    ipykernel still running the notebook), no scratch notebook left in the temporary
    folder, no traceback."""
    outputs, proc, kernel = sleeping_run
    proc.send_signal(sig)
    assert proc.wait(timeout=300) == code
    assert _stopped(kernel), "the kernel outlived the interrupted run"
    err = proc.communicate(timeout=60)[1]
    assert "Traceback" not in err and "interrupted" in err
    (run_dir,) = list_runs(outputs / "runs")
    m = _manifest(run_dir)
    assert (m["status"], m["interrupted"], m["signal"]) == ("incomplete", True, sig.name)
    assert m["finished"] and (run_dir / REPORT).is_file()
    assert list((tmp_path / "tmp").glob("aigov-nb-*")) == []
    assert _aigov(outputs, "verify").returncode == 0


def test_a_killed_runner_leaves_a_record_marked_incomplete(sleeping_run):
    outputs, proc, _kernel = sleeping_run
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=120)
    (run_dir,) = list_runs(outputs / "runs")
    m = _manifest(run_dir)
    assert m["status"] == "incomplete" and m["finished"] is None
    assert all(nb["status"] == "succeeded" for nb in m["notebooks"])  # only those done
    rows = json.loads(_aigov(outputs, "runs", "--json").stdout)
    assert rows[0]["status"] == "incomplete"


def test_a_killed_kernel_fails_the_run_at_that_notebook(tmp_path):
    outputs = tmp_path / "outputs"
    proc = _aigov(outputs, "run", "--profile", "killed")
    assert proc.returncode == 1
    (run_dir,) = list_runs(outputs / "runs")
    m = _manifest(run_dir)
    assert m["status"] == "failed"
    assert [(nb["name"], nb["status"]) for nb in m["notebooks"]] == [
        ("tiny", "succeeded"), ("kill_kernel", "failed")]
    assert _aigov(outputs, "verify").returncode == 0
