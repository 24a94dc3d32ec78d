"""The leak probe: a real ``aigov run`` of a notebook that prints planted credentials in
every spelling (environment, AIGOV_REDACT, the profile's list, and a credential only a
profile of a temporary AWS_SHARED_CREDENTIALS_FILE holds), calls the emulator with the
profile's session token and writes stray files in each encoding. Afterwards a scanner
written apart from the redactor (tests/helpers/leak_scanner.py) finds no secret under outputs/,
and the files that cannot be checked failed the run and were removed."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from aigov.runbook.files import MANIFEST
from aigov.runbook.record import list_runs
from aigov.runbook.redact import MASK
from aigov.target.state import STATE_FILE
from conftest import FIXTURES, ROOT
from helpers.leak_scanner import find_leaks

FIXTURE_ROOT = FIXTURES / "runbook"
# Shaped like the real thing; none is a live credential.
PLANTED_ENV = {
    "AWS_ACCESS_KEY_ID": "AKIAZ7PROBEENV000001",
    "AWS_SECRET_ACCESS_KEY": "pRoBe/EnvSecret+Key0123456789abcdefGHIJKL",
    "AWS_SESSION_TOKEN": "IQoJb3JpZ2luX2VjEPROBE//////////wEaCXVzLWVhc3QtMSJHMEUCIQENVTOKEN==",
    "AIGOV_REDACT": "probe-internal-host-5521.corp.example,another-probe-value",
    "PROBE_PROFILE_LISTED": "probe-listed-in-profile-9931",
}
PROFILE_ONLY = {  # only in the "probe" profile of the temporary credentials file
    "aws_access_key_id": "ASIAZ7PROBEPROFILE01",
    "aws_secret_access_key": "ProfileOnly/Secret+Key9876543210zyxwvuTSRQ",
    "aws_session_token": "FwoGZXIvYXdzEPROBEPROFILE//////////wEaDProfileOnlyToken+abc/xyz==",
}
SECRETS = [PLANTED_ENV[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                    "AWS_SESSION_TOKEN", "PROBE_PROFILE_LISTED")] + [
    "probe-internal-host-5521.corp.example", "another-probe-value", *PROFILE_ONLY.values()]
UNCHECKABLE = {"stray.gz", "stray-utf16.txt", "stray-utf16le.txt", "stray.bin", "link.txt"}


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    base = tmp_path_factory.mktemp("probe")
    outputs, aws = base / "outputs", base / "aws"
    aws.mkdir()
    (aws / "credentials").write_text("[probe]\n" + "".join(
        f"{k} = {v}\n" for k, v in PROFILE_ONLY.items()))
    (aws / "config").write_text("[profile probe]\nregion = us-east-1\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AIGOV_"))}
    env.update(PLANTED_ENV, AIGOV_OUTPUTS=str(outputs), AIGOV_ROOT=str(FIXTURE_ROOT),
               AWS_SHARED_CREDENTIALS_FILE=str(aws / "credentials"),
               AWS_CONFIG_FILE=str(aws / "config"), AWS_EC2_METADATA_DISABLED="true")
    proc = subprocess.run([sys.executable, "-m", "aigov.cli", "run", "--profile", "leak_probe"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    (run_dir,) = list_runs(outputs / "runs")
    return outputs, run_dir, proc, env


@pytest.mark.slow
def test_the_probe_ran_and_uncheckable_files_failed_the_run(probe):
    _, run_dir, proc, _ = probe
    manifest = json.loads((run_dir / MANIFEST).read_text())
    assert manifest["notebooks"][0]["status"] == "succeeded", proc.stderr[-3000:]
    assert proc.returncode == 1 and manifest["status"] == "failed"
    assert {r["file"] for r in manifest["refused_files"]} == UNCHECKABLE
    assert not any((run_dir / name).exists() or (run_dir / name).is_symlink()
                   for name in UNCHECKABLE)
    assert (run_dir / "figure.png").is_file() and (run_dir / "stray.txt").is_file()
    assert not set(manifest["outputs"]) & UNCHECKABLE


@pytest.mark.slow
def test_no_spelling_of_any_planted_secret_is_found_under_outputs(probe):
    outputs, _, _, _ = probe
    assert find_leaks(outputs, SECRETS) == []


@pytest.mark.slow
def test_the_secrets_were_masked_where_they_were_printed(probe):
    _, run_dir, _, _ = probe
    results = json.loads((run_dir / "results" / "leak_probe.json").read_text())
    assert {results[f"secret_{i}"] for i in range(len(SECRETS))} == {MASK}
    assert results["forms"]["b64[1]"].count(MASK) == 1  # masked inside, not dropped


@pytest.mark.slow
def test_the_emulator_state_holds_no_credential(probe):
    """The state folder keeps Organizations writes only (names, emails, documents):
    no request header, so no access key, session token or signature."""
    outputs, _, _, _ = probe
    files = list((outputs / "emulator").iterdir())
    assert [f.name for f in files] == [STATE_FILE]
    text = files[0].read_text()
    assert not any(s in text for s in (*SECRETS, "Authorization", "Credential=",
                                       "Security-Token", "Signature"))


@pytest.mark.slow
def test_the_probe_record_verifies(probe):
    outputs, _, _, env = probe
    proc = subprocess.run([sys.executable, "-m", "aigov.cli", "verify"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_scanner_finds_what_the_redactor_must_catch(tmp_path):
    """The scanner is only worth something if it sees each spelling on its own."""
    import base64
    import gzip

    secret = PROFILE_ONLY["aws_secret_access_key"]
    samples = {"b64.txt": "x" + base64.b64encode(b"ab" + secret.encode()).decode(),
               "hex.txt": secret.encode().hex().upper(),
               "pct.txt": "u?t=" + secret.replace("/", "%2f").replace("+", "%2B"),
               "wrap.json": '"' + secret[:9] + '\\n",\n   "' + secret[9:] + '"',
               "ansi.txt": f"\x1b[31m{secret[:5]}\x1b[0m{secret[5:]}".upper(),
               "utf16.txt": secret.encode("utf-16").decode("latin-1")}
    for name, text in samples.items():
        (tmp_path / name).write_text(text, encoding="latin-1" if name == "utf16.txt" else "utf-8")
    (tmp_path / "z.gz").write_bytes(gzip.compress(secret.encode()))
    assert {f for f, _, _ in find_leaks(tmp_path, [secret])} == {*samples, "z.gz"}
