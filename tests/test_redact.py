"""Credentials never reach a record: planted in the environment, the parameters and cell
output of a real ``aigov run``, none is found anywhere under outputs/ afterwards."""

from __future__ import annotations

import base64
import gzip
import html
import json
import os
import subprocess
import sys
import textwrap
from urllib.parse import quote

import pytest

from aigov.runbook.record import MANIFEST, list_runs
from aigov.runbook.redact import MASK, Redactor, forms, redact_tree, scrub_tree, stamp
from aigov.target.emulator import Emulator
from aigov.target.state import STATE_FILE
from conftest import FIXTURES, ROOT

FIXTURE_ROOT = FIXTURES / "runbook"
# Fake values shaped like the real thing (none of them is a live credential).
PLANTED_ENV = {
    "AWS_ACCESS_KEY_ID": "AKIAZ7LEAKTEST000001",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYLEAKTESTKEY",
    "AWS_SESSION_TOKEN": "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQLEAKTOKEN==",
    "PULUMI_CONFIG_PASSPHRASE": 'correct horse "battery" & staple',
    "AIGOV_REDACT": "internal-hostname-7731.corp.example, second-secret-value",
    "LEAKY_PROFILE_SECRET": "profile-listed-secret-4242",
}
ENDPOINT_PARAM = "https://AKIAZ7LEAKTEST000002@proxy.internal-hostname-7731.corp.example"
SECRETS = [PLANTED_ENV[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                    "AWS_SESSION_TOKEN", "PULUMI_CONFIG_PASSPHRASE",
                                    "LEAKY_PROFILE_SECRET")] + [
    "internal-hostname-7731.corp.example", "second-secret-value", "AKIAZ7LEAKTEST000002"]


def _encodings(secret: str) -> set[str]:
    """How a secret may be spelled in a file: as is, JSON-escaped (once and twice), in
    HTML, and as papermill writes a string parameter into the injected cell."""
    once = json.dumps(secret)[1:-1]
    return {secret, once, json.dumps(once)[1:-1], html.escape(secret),
            html.escape(secret, quote=False), secret.replace('"', '\\"')}


@pytest.fixture(scope="module")
def leaky_run(tmp_path_factory):
    outputs = tmp_path_factory.mktemp("outputs")
    emu = Emulator(state_dir=outputs / "emulator")  # its state file is under outputs/
    try:
        env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
        env.update(PLANTED_ENV, AIGOV_OUTPUTS=str(outputs), AIGOV_ROOT=str(FIXTURE_ROOT),
                   LEAKY_EMULATOR=emu.url)
        proc = subprocess.run(
            [sys.executable, "-m", "aigov.cli", "run", "--profile", "leaky",
             "--endpoint-url", ENDPOINT_PARAM, "-p", "region=second-secret-value"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    finally:
        emu.stop()
    (run_dir,) = list_runs(outputs / "runs")
    return outputs, run_dir, proc


@pytest.mark.slow
def test_the_leaky_notebook_ran_and_failed_with_its_planted_error(leaky_run):
    _, run_dir, proc = leaky_run
    assert proc.returncode == 1, proc.stderr[-3000:]
    manifest = json.loads((run_dir / MANIFEST).read_text())
    leaky = manifest["notebooks"][-1]
    assert (leaky["name"], leaky["error_type"]) == ("leaky", "RuntimeError")
    assert MASK in leaky["error"]
    # Every kind of file is there to be searched.
    names = {p.name for p in run_dir.rglob("*")}
    assert {"leaky.ipynb", "leaky.html", "leaky.json", "stray.txt", "report.html",
            MANIFEST} <= names
    # The emulator keeps Organizations writes only: no request header, no key.
    state = (leaky_run[0] / "emulator" / STATE_FILE).read_text()
    assert not any(v in state for v in PLANTED_ENV.values())


def _cut_short(secret: str, text: str) -> bool:
    """A display's truncation of the secret: 8 or more of its first characters, then an
    ellipsis (pandas shows 50 characters of a cell, then ``...``)."""
    return any(secret[:n] + dots in text for n in range(8, len(secret)) for dots in ("...", "…"))


@pytest.mark.slow
def test_no_planted_credential_anywhere_under_outputs(leaky_run):
    outputs, _, _ = leaky_run
    leaks = []
    for path in sorted(p for p in outputs.rglob("*") if p.is_file()):
        text = path.read_text(encoding="utf-8", errors="replace")
        for secret in SECRETS:
            if any(form in text for form in _encodings(secret)) or _cut_short(secret, text):
                leaks.append((str(path.relative_to(outputs)), secret))
    assert leaks == []


@pytest.mark.slow
def test_the_planted_values_were_masked_not_dropped(leaky_run):
    _, run_dir, _ = leaky_run
    results = json.loads((run_dir / "results" / "leaky.json").read_text())
    assert results["AWS_SECRET_ACCESS_KEY"] == MASK
    assert results["AWS_ACCESS_KEY_ID"] == MASK
    manifest = json.loads((run_dir / MANIFEST).read_text())
    assert manifest["parameters"]["region"] == MASK
    assert manifest["parameters"]["endpoint_url"] == f"https://{MASK}@proxy.{MASK}"
    assert MASK in (run_dir / "leaky.ipynb").read_text()


@pytest.mark.slow
def test_the_redacted_record_verifies(leaky_run):
    outputs, _, _ = leaky_run
    env = {**os.environ, "AIGOV_OUTPUTS": str(outputs)}
    proc = subprocess.run([sys.executable, "-m", "aigov.cli", "verify"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("secret", ['pa"ss&word-1', "tab\there-2", "naïve-secret-3"])
def test_escaped_forms_of_a_secret_are_masked(secret):
    r = Redactor({secret})
    for form in _encodings(secret) | {repr(secret)[1:-1]}:
        assert secret not in r.text(f"<{form}>") and form not in r.text(f"<{form}>")


def test_a_secret_cut_short_by_a_display_is_masked():
    r = Redactor({"second-secret-value"})
    assert r.text("a second-se... b second-secret-val… c sec... d second-secrex...") == \
        f"a {MASK}... b {MASK}… c sec... d second-secrex..."


def test_access_key_ids_and_assigned_secrets_are_masked_without_a_list():
    r = Redactor()
    assert r.text("key AKIAIOSFODNN7EXAMPLE and ASIAIOSFODNN7EXAMPLE") == f"key {MASK} and {MASK}"
    assert r.text("aws_secret_access_key = abcdEFGH1234/+xyz") == \
        f"aws_secret_access_key = {MASK}"


def test_short_or_harmless_values_are_not_masked(monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AIGOV_REDACT", "ab, us-east-1-secret")
    r = Redactor.from_environment()
    assert r.text("testing ab us-east-1-secret") == f"testing ab {MASK}"


def test_pulumi_passphrase_files_are_masked(outputs, tmp_path, monkeypatch):
    generated = outputs / "pulumi" / "passphrase"
    generated.parent.mkdir(parents=True)
    generated.write_text("generated-passphrase-1234")
    (tmp_path / "pp").write_text("file-passphrase-5678\n")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE_FILE", str(tmp_path / "pp"))
    r = Redactor.from_environment()
    assert r.text("generated-passphrase-1234 file-passphrase-5678") == f"{MASK} {MASK}"


def test_forms_include_json_and_html_escapes():
    assert {'a\\"bcdef', "a&quot;bcdef"} <= forms('a"bcdef')


def test_redact_tree_rewrites_text_and_images_and_refuses_other_binaries(tmp_path):
    (tmp_path / "a.json").write_text('{"k": "s3cr3t-value"}')
    (tmp_path / "b.txt").write_text("nothing here")
    (tmp_path / "c.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00s3cr3t-value")
    (tmp_path / "d.bin").write_bytes(b"\xff\xfe\x00s3cr3t-value")
    (tmp_path / "e.txt").write_text("s3cr3t-value", encoding="utf-16-le")  # NULs, no BOM
    (tmp_path / "f.gz").write_bytes(gzip.compress(b"s3cr3t-value"))
    report = redact_tree(tmp_path, Redactor({"s3cr3t-value"}))
    assert report.changed == [tmp_path / "a.json", tmp_path / "c.png"]
    assert [r.file for r in report.refused] == ["d.bin", "e.txt", "f.gz"]
    assert (tmp_path / "a.json").read_text() == f'{{"k": "{MASK}"}}'
    assert (tmp_path / "c.png").read_bytes() == b"\x89PNG\r\n\x1a\n\x00" + MASK.encode()


def test_scrub_tree_removes_what_it_cannot_check_and_never_a_links_target(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    run = tmp_path / "run"
    run.mkdir()
    (run / "x.gz").write_bytes(gzip.compress(b"hello"))
    (run / "link").symlink_to(outside)
    (run / "ok.txt").write_text("hello")
    refused = scrub_tree(run, Redactor({"s3cr3t-value"}))
    assert sorted(r.file for r in refused) == ["link", "x.gz"]
    assert sorted(p.name for p in run.iterdir()) == ["ok.txt"]
    assert outside.read_text() == "keep me"


def test_a_later_pass_skips_a_file_only_while_its_bytes_are_those_it_wrote(tmp_path):
    """The runner redacts each notebook once and later passes skip it, but a file
    rewritten with a secret (same size, its timestamp set back) is redacted again."""
    redactor, done = Redactor({"s3cr3t-value"}), {}
    path = tmp_path / "a.txt"
    path.write_text("x s3cr3t-value")
    assert redact_tree(tmp_path, redactor, done).changed == [path]
    assert redact_tree(tmp_path, redactor, done).changed == []
    st = path.stat()
    path.write_text("s3cr3t-value".ljust(len(path.read_text()), "."))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert redact_tree(tmp_path, redactor, done).changed == [path]
    assert "s3cr3t" not in path.read_text()
    redactor.add(["another-secret"])  # new secrets: every file is passed again
    path.write_text("another-secret")
    done["a.txt"] = stamp(path.read_bytes(), Redactor({"s3cr3t-value"}))
    assert redact_tree(tmp_path, redactor, done).changed == [path]


SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYLEAKTESTKEY"


@pytest.mark.parametrize("spelling", [
    pytest.param(lambda s: base64.b64encode(s.encode()).decode(), id="base64"),
    pytest.param(lambda s: base64.b64encode(b"x" + s.encode() + b"yz").decode(), id="base64+1"),
    pytest.param(lambda s: base64.b64encode(b"xy" + s.encode()).decode(), id="base64+2"),
    pytest.param(lambda s: base64.urlsafe_b64encode(b"x" + s.encode()).decode(), id="urlsafe"),
    pytest.param(lambda s: base64.encodebytes(b"h" * 50 + s.encode()).decode(), id="mime-wrapped"),
    pytest.param(lambda s: "?X-Amz-Security-Token=" + quote(s, safe=""), id="percent"),
    pytest.param(lambda s: quote(s, safe="").lower(), id="percent-lower"),
    pytest.param(lambda s: quote(quote(s, safe=""), safe=""), id="percent-twice"),
    pytest.param(lambda s: s.encode().hex(), id="hex"),
    pytest.param(lambda s: s.encode().hex().upper(), id="HEX"),
    pytest.param(lambda s: s.upper(), id="upper"),
    pytest.param(lambda s: s.swapcase(), id="swapcase"),
    pytest.param(lambda s: "\n".join(textwrap.wrap(s, 9)), id="textwrap"),
    pytest.param(lambda s: f"\x1b[31m{s[:7]}\x1b[0m\x1b[1;34m{s[7:]}\x1b[0m", id="ansi"),
    pytest.param(lambda s: json.dumps(f"\x1b[31m{s[:7]}\x1b[0m{s[7:]}"), id="ansi-json"),
    pytest.param(lambda s: '"' + s[:9] + '\\n",\n    "' + s[9:] + '"', id="nbformat-lines"),
    pytest.param(lambda s: f'<span class="ansi-red-fg">{s[:7]}</span><span>{s[7:]}</span>',
                 id="html-spans"),
    pytest.param(lambda s: html.escape(json.dumps(repr(s))), id="html-json-repr"),
])
def test_every_spelling_of_a_secret_is_masked(spelling):
    text = f"before {spelling(SECRET)} after"
    out = Redactor({SECRET}).text(text)
    assert MASK in out and out.startswith("before") and out.endswith("after")
    assert find_leaks_in_text(out) == []


def find_leaks_in_text(text: str) -> list:
    import tempfile
    from pathlib import Path

    from helpers.leak_scanner import find_leaks

    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "t.txt").write_text(text)
        return find_leaks(Path(d), [SECRET])


def test_credentials_only_a_profile_holds_are_resolved_for_the_redactor(tmp_path, monkeypatch):
    """The README's systemd audit runs with AWS_PROFILE: the secret is in no variable."""
    (tmp_path / "credentials").write_text(
        "[audit]\naws_access_key_id = AKIAZ7PROFILEONLY001\n"
        "aws_secret_access_key = only/in+the+profile/0123456789abcdefghijk\n")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_PROFILE", "audit")
    assert "only/in+the+profile/0123456789abcdefghijk" not in Redactor.from_environment().secrets
    r = Redactor.from_environment(resolve=True)
    assert r.text("k=only/in+the+profile/0123456789abcdefghijk") == f"k={MASK}"


def test_a_kernel_notes_what_its_own_sessions_resolve(tmp_path, monkeypatch):
    import boto3

    from aigov.target import seen

    (tmp_path / "credentials").write_text(
        "[other]\naws_access_key_id = AKIAZ7OTHERPROFILE01\n"
        "aws_secret_access_key = other/profile+secret/0123456789abcdefghij\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv(seen.SEEN_FILE_ENV, str(tmp_path / "seen"))
    seen.watch()
    boto3.Session(profile_name="other").get_credentials()
    assert {"AKIAZ7OTHERPROFILE01", "other/profile+secret/0123456789abcdefghij"} <= \
        seen.recall(tmp_path / "seen")
    assert oct((tmp_path / "seen").stat().st_mode & 0o777) == "0o600"


def test_notebook_copies_write_the_redacted_notebook_at_once_and_its_html_when_collected(
        tmp_path):
    """The HTML copy is exported in a background thread while the next notebook runs;
    it reaches the record only through ``collect``, redacted, and later passes skip
    both files while their bytes are unchanged."""
    import nbformat

    from aigov.runbook.report import NotebookCopies

    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell("print(1)", outputs=[nbformat.v4.new_output(
        "stream", name="stdout", text="key s3cr3t-value here\n")]))
    scratch, run = tmp_path / "scratch.ipynb", tmp_path / "run"
    run.mkdir()
    scratch.write_text(nbformat.writes(nb))
    redactor, done = Redactor({"s3cr3t-value"}), {}
    copies = NotebookCopies(redactor, done)
    copies.add(scratch, run / "01.ipynb")
    assert "s3cr3t" not in (run / "01.ipynb").read_text()
    copies.close()
    html = (run / "01.html").read_text()
    assert MASK in html and "s3cr3t" not in html
    assert set(done) == {"01.ipynb", "01.html"}
    assert redact_tree(run, redactor, done).changed == []
