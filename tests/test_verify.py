"""``aigov verify`` as an attacker tries it: re-sealed records, deleted newest runs, and
manifests or files that point outside the record. Unit records are built with
``write_manifest``; the signing and checkpoint cases use real ``aigov run``s."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from aigov.runbook.files import MANIFEST, SIGNATURE
from aigov.runbook.record import SELF_HASH, _canonical, list_runs, verify_run, write_manifest
from aigov.runbook.redact import Redactor, redact_tree
from conftest import FIXTURES, run_cli
from helpers.cli import run_main

FIXTURE_ROOT = FIXTURES / "runbook"


def _record(root: Path, name: str = "20250101T000000.000Z-tiny") -> Path:
    run = root / "runs" / name
    (run / "results").mkdir(parents=True)
    (run / "tiny.ipynb").write_text("{}")
    (run / "results" / "tiny.json").write_text('{"answer": 42}')
    write_manifest(run, {"run_id": name, "previous": None})
    return run


def _rewrite(run: Path, edit) -> None:
    """Edit a manifest and recompute its self-hash, as an attacker would."""
    m = json.loads((run / MANIFEST).read_text())
    edit(m)
    m[SELF_HASH] = hashlib.sha256(_canonical(m)).hexdigest()
    (run / MANIFEST).write_text(json.dumps(m))


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- paths that lead outside the record --------------------------------------------------

@pytest.mark.parametrize("trick", ["../../outside.txt", "/etc/hostname", "results/../../x",
                                   "results/../../../outside.txt"])
def test_verify_refuses_manifest_paths_outside_the_record(tmp_path, trick):
    run = _record(tmp_path)
    (tmp_path / "outside.txt").write_text("not part of the record")
    _rewrite(run, lambda m: m["outputs"].update({trick: _sha(tmp_path / "outside.txt")}))
    problems = verify_run(run)
    assert [(p.file, p.message.split(":")[0]) for p in problems] == [(trick, "refused")]


def test_verify_refuses_a_record_file_replaced_by_a_symlink(tmp_path):
    run = _record(tmp_path)
    target = tmp_path / "elsewhere.json"
    shutil.copy(run / "results" / "tiny.json", target)  # same bytes: the hash would match
    (run / "results" / "tiny.json").unlink()
    (run / "results" / "tiny.json").symlink_to(target)
    problems = verify_run(run)
    assert [(p.file, p.message) for p in problems] == [
        ("results/tiny.json", "refused: a symbolic link in a record")]


def test_verify_refuses_a_symlinked_folder_and_a_path_through_it(tmp_path):
    run = _record(tmp_path)
    outside = tmp_path / "outside"
    shutil.move(run / "results", outside)
    (run / "results").symlink_to(outside)
    problems = verify_run(run)
    assert ("results", "refused: a symbolic link in a record") in \
        [(p.file, p.message) for p in problems]
    assert all("sha256" not in p.message for p in problems)


def test_verify_refuses_a_symlinked_manifest(tmp_path):
    run = _record(tmp_path)
    shutil.move(run / MANIFEST, tmp_path / "m.json")
    (run / MANIFEST).symlink_to(tmp_path / "m.json")
    assert [p.message.split(":")[0] for p in verify_run(run)] == ["refused"]


def test_verify_refuses_a_fifo_without_opening_it(tmp_path):
    run = _record(tmp_path)
    os.mkfifo(run / "results" / "pipe")
    assert [(p.file, p.message) for p in verify_run(run)] == [
        ("results/pipe", "refused: not a regular file in a record")]


def test_redact_tree_never_writes_through_a_symlink(tmp_path):
    run = _record(tmp_path)
    outside = tmp_path / "outside.txt"
    outside.write_text("secret-value-77 outside the record")
    (run / "link.txt").symlink_to(outside)
    report = redact_tree(run, Redactor({"secret-value-77"}))
    assert outside.read_text() == "secret-value-77 outside the record"
    assert [r.file for r in report.refused] == ["link.txt"]


# -- signatures and the checkpoint (real runs) -------------------------------------------

def _aigov(outputs: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return run_cli(*args, outputs=outputs, timeout=600, AIGOV_ROOT=str(FIXTURE_ROOT),
                   drop=("AWS_ENDPOINT_URL", "AIGOV_SIGNING_KEY", "AIGOV_CHECKPOINT"), **env)


@pytest.fixture(scope="module")
def signed(tmp_path_factory):
    """Three signed runs, the checkpoint outside outputs/, and the allowed signers."""
    base = tmp_path_factory.mktemp("signed")
    key = base / "keys" / "auditor"
    key.parent.mkdir()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ci", "-f", str(key)],
                   check=True)
    signers = base / "keys" / "allowed_signers"
    signers.write_text(f"records@example.com {(key.with_suffix('.pub')).read_text()}")
    checkpoint = base / "keys" / "checkpoint.json"
    outputs = base / "outputs"
    for _ in range(3):
        proc = _aigov(outputs, "run", "--profile", "tiny", "--checkpoint", str(checkpoint),
                      AIGOV_SIGNING_KEY=str(key))
        assert proc.returncode == 0, proc.stderr[-3000:]
    return outputs, signers, checkpoint


@pytest.fixture
def copy(signed, tmp_path):
    outputs, signers, checkpoint = signed
    out = tmp_path / "outputs"
    shutil.copytree(outputs, out)
    cp = tmp_path / "checkpoint.json"
    shutil.copy(checkpoint, cp)
    return out, signers, cp


def _reseal_first_run(outputs: Path) -> None:
    """Change run 1's ``changes_applied`` and recompute every later hash and link."""
    runs = list_runs(outputs / "runs")
    _rewrite(runs[0], lambda m: m["notebooks"][0]["results"].update(changes_applied=7))
    for prev, run in zip(runs, runs[1:], strict=False):
        _rewrite(run, lambda m, p=prev: m["previous"].update(
            manifest_sha256=_sha(p / MANIFEST)))


@pytest.mark.slow
def test_signed_records_verify_and_name_their_signer(signed):
    outputs, signers, checkpoint = signed
    assert all((r / SIGNATURE).is_file() for r in list_runs(outputs / "runs"))
    proc = _aigov(outputs, "verify", "--allowed-signers", str(signers),
                  "--checkpoint", str(checkpoint))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 signed by an allowed signer" in proc.stdout
    assert "not checked" not in proc.stdout


@pytest.mark.slow
def test_a_resealed_record_passes_the_bare_chain_but_fails_with_signing(copy):
    outputs, signers, _ = copy
    _reseal_first_run(outputs)
    bare = _aigov(outputs, "verify")
    assert bare.returncode == 0  # what an unsigned chain cannot catch, and says so
    assert "not checked: signatures" in bare.stdout
    proc = _aigov(outputs, "verify", "--allowed-signers", str(signers))
    assert proc.returncode == 1
    runs = [r.name for r in list_runs(outputs / "runs")]
    assert [ln.split("/")[0] for ln in proc.stdout.splitlines() if "signature" in ln
            and ln.startswith("2")] == runs


@pytest.mark.slow
def test_an_unsigned_record_is_reported_unsigned_not_verified(copy):
    outputs, signers, _ = copy
    last = list_runs(outputs / "runs")[-1]
    (last / SIGNATURE).unlink()
    proc = _aigov(outputs, "verify", "--allowed-signers", str(signers))
    assert proc.returncode == 1
    assert f"{last.name}/{MANIFEST}: unsigned" in proc.stdout


@pytest.mark.slow
def test_a_signature_by_another_key_is_refused(copy, tmp_path):
    outputs, signers, _ = copy
    other = tmp_path / "other"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    last = list_runs(outputs / "runs")[-1]
    sig = subprocess.run(["ssh-keygen", "-Y", "sign", "-q", "-f", str(other), "-n",
                          "aigov-record"], input=(last / MANIFEST).read_bytes(),
                         capture_output=True, check=True).stdout
    (last / SIGNATURE).write_bytes(sig)
    proc = _aigov(outputs, "verify", "--allowed-signers", str(signers))
    assert proc.returncode == 1 and "not in the allowed signers" in proc.stdout


@pytest.mark.slow
@pytest.mark.parametrize("delete", ["newest", "all"])
def test_deleting_the_newest_runs_fails_with_a_checkpoint(copy, delete):
    outputs, signers, cp = copy
    runs = list_runs(outputs / "runs")
    for run in runs[-1:] if delete == "newest" else runs:
        shutil.rmtree(run)
    bare = _aigov(outputs, "verify")
    assert bare.returncode == 0 and "not checked: the chain's head" in bare.stdout
    proc = _aigov(outputs, "verify", "--allowed-signers", str(signers), "--checkpoint", str(cp))
    assert proc.returncode == 1
    assert proc.stdout.startswith(f"{runs[-1].name}/{MANIFEST}: the checkpoint names this run")


@pytest.mark.slow
def test_a_resealed_head_fails_with_the_checkpoint_alone(copy):
    outputs, _, cp = copy
    _rewrite(list_runs(outputs / "runs")[-1], lambda m: m.update(status="failed"))
    proc = _aigov(outputs, "verify", "--checkpoint", str(cp))
    assert proc.returncode == 1 and "differs from the manifest the checkpoint" in proc.stdout


def test_a_checkpoint_inside_outputs_is_refused(tmp_path):
    proc = _aigov(tmp_path / "outputs", "verify", "--checkpoint",
                  str(tmp_path / "outputs" / "cp.json"))
    assert proc.returncode == 2 and "outside outputs/" in proc.stderr


def test_a_missing_signing_key_fails_before_the_run(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AIGOV_OUTPUTS", str(tmp_path / "outputs"))
    monkeypatch.setenv("AIGOV_ROOT", str(FIXTURE_ROOT))
    monkeypatch.setenv("AIGOV_SIGNING_KEY", str(tmp_path / "nokey"))
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AIGOV_CHECKPOINT", raising=False)
    proc = run_main(capsys, "run", "--profile", "tiny")
    assert proc.returncode == 2 and "signing key" in proc.stderr
    assert not (tmp_path / "outputs" / "runs").exists()
