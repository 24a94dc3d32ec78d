"""The onboarding session in a real browser: ``aigov lab`` (emulator + JupyterLab with its
token), Debian's chromium driven by Playwright, the notebook run, the playground's action
changed, and the decision seen to change from allow to deny with the policy named.

Playwright's own browser download needs the internet, so the test drives the
``chromium`` found on PATH (``.ci/run`` installs it with apt-get). It skips, saying so,
only when there is no chromium. One JupyterLab is started for the module.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from aigov.target.emulator import free_port
from conftest import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
LEAVE = "organizations:LeaveOrganization"
SCREENSHOT = "onboarding-playground.png"
# Waits for a page or a server to be ready; they bound a hang, they are not what is tested.
READY_MS = 180_000


class Lab:
    def __init__(self, proc: subprocess.Popen, url: str, log: list[str], base: Path):
        self.proc, self.url, self.log, self.base = proc, url, log, base


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    if CHROMIUM is None:
        pytest.skip("chromium is not on PATH: install it (apt-get install chromium) to run "
                    "the browser test")
    base = tmp_path_factory.mktemp("lab")
    env = {**os.environ, "AIGOV_OUTPUTS": str(base / "outputs"),
           "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
           "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
           "JUPYTERLAB_SETTINGS_DIR": str(base / "settings"), "TMPDIR": str(base / "tmp")}
    (base / "tmp").mkdir()
    env.pop("AWS_ENDPOINT_URL", None)
    aigov = str(Path(sys.executable).with_name("aigov"))
    proc = subprocess.Popen([aigov, "lab", "--no-browser", "--port", str(free_port())],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env, cwd=base, start_new_session=True)
    log: list[str] = []
    found = threading.Event()

    def drain() -> None:
        for line in proc.stdout:  # type: ignore[union-attr]
            log.append(line)
            if line.startswith("aigov lab: open "):
                found.set()
        found.set()

    threading.Thread(target=drain, daemon=True).start()
    try:
        found.wait(READY_MS / 1000)
        url = next((ln.removeprefix("aigov lab: open ").strip() for ln in log
                    if ln.startswith("aigov lab: open ")), None)
        assert url, "aigov lab printed no URL:\n" + "".join(log)
        _wait_for_server(url, proc, log)
        yield Lab(proc, url, log, base)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # aigov stops JupyterLab and the emulator
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _wait_for_server(url: str, proc: subprocess.Popen, log: list[str]) -> None:
    base, _, query = url.partition("/lab/")
    status = f"{base}/api/status?{query.partition('?')[2]}"
    deadline = time.monotonic() + READY_MS / 1000
    while time.monotonic() < deadline:
        assert proc.poll() is None, "aigov lab exited:\n" + "".join(log)
        try:
            with urllib.request.urlopen(status, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError("JupyterLab did not answer:\n" + "".join(log))


def test_lab_refuses_requests_without_the_token(lab: Lab):
    base = lab.url.partition("/lab/")[0]
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{base}/api/contents", timeout=10)
    assert err.value.code == 403


def test_playground_decision_changes_from_allow_to_deny_when_the_action_changes(
        lab: Lab, tmp_path: Path):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(lab.url)
            expect(page.locator(".jp-NotebookPanel")).to_be_visible(timeout=READY_MS)
            _run_all(page)
            decision = page.locator(".aigov-decision").first  # the editor shows a copy
            expect(decision).to_contain_text("ALLOW", timeout=READY_MS)
            action = page.locator(".aigov-action input")
            action.scroll_into_view_if_needed()
            action.fill(LEAVE)
            expect(decision).to_contain_text("DENY", timeout=30_000)
            expect(decision).to_contain_text("deny-leave-organization")
            playground = page.locator(".widget-hbox", has=page.locator(".aigov-action")).first
            playground.screenshot(path=str(tmp_path / SCREENSHOT))
            # A change of context, then of target, decides again too.
            action.fill("bedrock:InvokeModel")
            expect(decision).to_contain_text("ALLOW", timeout=30_000)
            page.locator(".aigov-context textarea").fill(
                '{"aws:RequestedRegion": "ap-southeast-2"}')
            expect(decision).to_contain_text(re.compile(r"DENY.*region-allow-list-ai"),
                                             timeout=30_000)
            page.locator(".aigov-target select").select_option(label="Sandbox")
            expect(decision).to_contain_text(re.compile(r"DENY.*'region-allow-list'"),
                                             timeout=30_000)
            # The editor lints the draft as it is typed.
            editor = page.locator(".aigov-editor textarea")
            editor.scroll_into_view_if_needed()
            editor.fill('{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", '
                        '"Action": "bedrock:InvokeModle", "Resource": "*"}]}')
            expect(page.locator(".aigov-findings")).to_contain_text("IAM_UNKNOWN_ACTION",
                                                                    timeout=30_000)
            page.screenshot(path=str(tmp_path / "onboarding-page.png"), full_page=False)
        finally:
            browser.close()
    assert (tmp_path / SCREENSHOT).stat().st_size > 0
    if os.environ.get("AIGOV_UPDATE_SCREENSHOT"):
        shutil.copy(tmp_path / SCREENSHOT, ROOT / "docs" / SCREENSHOT)


def _run_all(page) -> None:  # noqa: ANN001 - a Playwright page
    """Run > Run All Cells, once the kernel is idle (JupyterLab drops a Run All sent while
    the kernel still starts)."""
    from playwright.sync_api import expect

    expect(page.locator("#jp-main-statusbar")).to_contain_text("Idle", timeout=READY_MS)
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()


def test_newcomer_session_run_twice_checks_requests_explains_and_keeps_arrow_keys(
        lab: Lab, tmp_path: Path):
    """The same kernel as the test above (its notebook already ran): Run All again works;
    nonsense gets "check the request"; an S3 read is denied down to the condition and the
    request's value, then allowed once this organization's keys are filled in; arrow keys
    move the OU list's selection, not the notebook's active cell."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.goto(lab.url)
            expect(page.locator(".jp-NotebookPanel")).to_be_visible(timeout=READY_MS)
            _run_all(page)
            decision = page.locator(".aigov-decision").first
            expect(decision).to_contain_text("ALLOW", timeout=READY_MS)
            _run_all(page)  # a second Run All in the same kernel
            expect(decision).to_contain_text("ALLOW", timeout=READY_MS)
            expect(page.locator(".jp-NotebookPanel")).not_to_contain_text("UsageError")
            # Nonsense is never a green ALLOW.
            action = page.locator(".aigov-action input")
            action.scroll_into_view_if_needed()
            action.fill("notaservice")
            expect(decision).to_contain_text("CHECK THE REQUEST", timeout=30_000)
            expect(decision).to_contain_text("not service:Action")
            # A normal S3 read: denied by the data perimeter, explained to the condition.
            page.locator(".aigov-resource input").fill("arn:aws:s3:::models/model.tar.gz")
            action.fill("s3:GetObject")
            expect(decision).to_contain_text("DENY", timeout=30_000)
            expect(decision).to_contain_text("data-perimeter")
            expect(decision.locator(".aigov-conditions")).to_contain_text("aws:PrincipalOrgID")
            expect(decision.locator(".aigov-request-value").first).to_contain_text("absent")
            help_table = page.locator(".aigov-context-help")
            expect(help_table).to_contain_text("aws:SecureTransport")
            page.get_by_role("button", name="Use this organization's values").click()
            expect(decision).to_contain_text("ALLOW", timeout=30_000)
            decision.screenshot(path=str(tmp_path / "decision.png"))
            # Arrow keys stay in the OU list.
            tree = page.locator(".widget-select select").first
            tree.scroll_into_view_if_needed()
            expect(page.locator("[data-lm-suppress-shortcuts]")).not_to_have_count(0)
            tree.focus()
            before = tree.input_value()
            active = page.locator(".jp-Notebook .jp-Cell.jp-mod-active").first
            cell_before = active.get_attribute("data-windowed-list-index")
            page.keyboard.press("ArrowDown")
            expect(tree).not_to_have_value(before, timeout=10_000)
            after = page.locator(".jp-Notebook .jp-Cell.jp-mod-active").first
            assert after.get_attribute("data-windowed-list-index") == cell_before
            expect(page.locator(".aigov-tree-detail")).to_contain_text(tree.input_value()
                                                                       .split("/")[-1])
            page.screenshot(path=str(tmp_path / "onboarding-session.png"))
        finally:
            browser.close()
    if os.environ.get("AIGOV_UPDATE_SCREENSHOT"):
        shutil.copy(tmp_path / "onboarding-session.png", ROOT / "docs" / "onboarding-session.png")


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=5).close()
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


def test_ctrl_c_stops_jupyterlab_and_the_emulator_and_removes_the_token_file(lab: Lab):
    """Runs last: the module's JupyterLab ends here."""
    token = lab.url.rpartition("token=")[2]
    assert [p.read_text() for p in (lab.base / "tmp").glob("aigov-lab-token-*")] == [token]
    emulator = re.search(r"emulator on (http://\S+);", "".join(lab.log)).group(1)
    server = lab.url.partition("/lab/")[0]
    assert _answers(f"{emulator}/moto-api/") and _answers(f"{server}/api/status")
    lab.proc.send_signal(signal.SIGINT)
    assert lab.proc.wait(timeout=60) == 130
    assert not _answers(f"{emulator}/moto-api/")
    assert not _answers(f"{server}/api/status")
    assert list((lab.base / "tmp").glob("aigov-lab-token-*")) == []
