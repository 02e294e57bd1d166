"""The playground as a trainee meets it: JupyterLab on loopback, driven by headless Chromium.

Starts `jupyter lab` on a copy of lesson 07, opens it in Debian's Chromium through Playwright
(an explicit executable: nothing is downloaded), runs every cell, clicks "Place test call" and
checks the results panel: the event table, the audio player and the waveform. The screenshot
lands in artifacts/browser/playground.png. Outside CI the test skips when Chromium or
Playwright is missing; in CI (CI=true) that is a failure.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "07_playground.ipynb"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
ARTIFACTS = ROOT / "artifacts" / "browser"
SCREENSHOT = ARTIFACTS / "playground.png"
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only
# Quiet JupyterLab: no news, no update checks (they would reach the internet), no toasts;
# and start the notebook's kernel without asking (a never-run notebook would ask).
LAB_SETTINGS = {"@jupyterlab/apputils-extension/notification.jupyterlab-settings":
                {"fetchNews": "false", "checkForUpdates": False},
                "@jupyterlab/notebook-extension/tracker.jupyterlab-settings":
                {"autoStartDefaultKernel": True}}


def missing_tools() -> str | None:
    """Why the browser test cannot run here, or None when it can."""
    if not CHROMIUM.is_file():
        return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing (pip install -r requirements.txt)"
    return None


def require_tools() -> None:
    """Skip with the reason outside CI; in CI a missing tool is a failure."""
    reason = missing_tools()
    if reason is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must run the browser test, but {reason}. .ci/run installs both.")
    pytest.skip(f"browser test skipped: {reason}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def lab_request(base: str, path: str, token: str, method: str = "GET") -> int:
    request = urllib.request.Request(f"{base}{path}", method=method,
                                     headers={"Authorization": f"token {token}"})
    with NO_PROXY.open(request, timeout=5) as reply:
        return reply.status


@pytest.fixture(scope="module")
def jupyter(tmp_path_factory):
    """A JupyterLab server on loopback over a temporary copy of lesson 07: (url, token)."""
    require_tools()
    work = tmp_path_factory.mktemp("browser")
    root_dir = work / "notebooks"
    root_dir.mkdir()
    shutil.copy(NOTEBOOK, root_dir / NOTEBOOK.name)
    settings_dir = work / "lab-settings"
    for name, values in LAB_SETTINGS.items():
        path = settings_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port, token = free_port(), secrets.token_hex(24)
    env = {**os.environ, "RECORDING_LAB_HOME": str(work / "lab-home"),
           "RECORDING_LAB_MODE": "simulator", "JUPYTERLAB_SETTINGS_DIR": str(settings_dir),
           "JUPYTER_CONFIG_DIR": str(work / "config"), "JUPYTER_DATA_DIR": str(work / "data"),
           "JUPYTER_RUNTIME_DIR": str(work / "runtime"),
           "JUPYTERLAB_WORKSPACES_DIR": str(work / "workspaces"),
           "IPYTHONDIR": str(work / "ipython"),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
                                                       os.environ.get("PYTHONPATH")]))}
    log_path = work / "jupyter.log"
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
               f"--port={port}", "--ServerApp.port_retries=0", "--allow-root",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root_dir}",
               "--LabApp.news_url=None", "--LabApp.extension_manager=readonly",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    with open(log_path, "wb") as log:
        server = subprocess.Popen(command, env=env, cwd=root_dir, stdout=log,
                                  stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                  start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail("jupyter lab did not start:\n" + log_path.read_text()[-3000:])
            try:
                if lab_request(base, "/api/status", token) == 200:
                    break
            except OSError:
                time.sleep(0.2)
        yield {"url": base, "token": token, "log": log_path}
    finally:
        try:
            lab_request(base, "/api/shutdown", token, method="POST")  # stops the kernels too
            server.wait(20)
        except (OSError, subprocess.TimeoutExpired):
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGTERM)  # the server's own process group
                server.wait(10)


def wait_for_idle_kernel(page) -> None:
    """Wait until the status bar says the notebook's kernel is up and idle.

    Running cells earlier races the session set-up: JupyterLab may then start a second
    kernel and drop the queued cells.
    """
    page.locator(".jp-StatusBar-TextItem", has_text=re.compile(r"ipykernel\) \| Idle")).wait_for()


def run_all_cells(page) -> None:
    """Run > Run All Cells, through the menu bar as a trainee would."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()


def audio_state(page) -> dict:
    """The audio player's source and, once the browser has read it, its duration."""
    return page.locator(".rl-audio audio").evaluate(
        """el => new Promise(done => {
            const report = () => done({src: el.currentSrc || el.src, duration: el.duration,
                                       error: el.error && el.error.code});
            if (el.readyState >= 1 || el.error) { report(); return; }
            el.addEventListener('loadedmetadata', report, {once: true});
            el.addEventListener('error', report, {once: true});
            setTimeout(report, 10000);
        })""")


def test_playground_places_a_call_and_shows_the_results(jupyter):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    console_errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1700})
            page.set_default_timeout(60_000)
            page.on("console", lambda msg: console_errors.append(msg.text)
                    if msg.type == "error" else None)
            try:
                page.goto(f"{jupyter['url']}/lab/tree/{NOTEBOOK.name}?token={jupyter['token']}")
                wait_for_idle_kernel(page)
                run_all_cells(page)
                button = page.locator(".rl-place-call")
                button.wait_for(state="visible")
                assert button.inner_text().strip() == "Place test call"
                button.click()
                page.locator(".rl-status", has_text="done in").wait_for()
                check_results(page)
                page.locator(".rl-place-call").evaluate(
                    "el => el.scrollIntoView({block: 'start'})")
                page.wait_for_timeout(300)  # let the scroll settle before the picture
                page.screenshot(path=str(SCREENSHOT))
            except Exception:
                page.screenshot(path=str(ARTIFACTS / "playground-failure.png"))
                raise
        finally:
            browser.close()
    assert SCREENSHOT.stat().st_size > 10_000
    errors = [e for e in console_errors if "Traceback" in e]
    assert not errors, errors


def check_results(page) -> None:
    """The results panel: no error, an event table, both pictures, a playable recording."""
    assert page.locator(".rl-message").inner_text().strip() == ""
    errors = page.locator(".jp-OutputArea-output[data-mime-type="
                          "'application/vnd.jupyter.stderr']").all_inner_texts()
    assert not errors, errors  # tracebacks and warnings both render as stderr
    table = page.locator(".rl-event-table table")
    table.wait_for()
    cells = table.locator("tr").all_inner_texts()
    assert "event" in cells[0] and "sent to" in cells[0]
    events = [row.split("\t")[1].strip() for row in cells[1:]]
    for expected in ("started", "ringing", "answered", "completed", "record"):
        assert expected in events, (expected, events)
    for name in ("timeline", "waveform"):
        picture = page.locator(f".rl-figures img.rl-{name}")
        picture.wait_for()
        width = picture.evaluate("el => el.complete ? el.naturalWidth : 0")
        assert width > 300, f"the {name} image did not load (width {width})"
    audio = audio_state(page)
    assert audio["src"].startswith("blob:") and audio["error"] is None, audio
    assert audio["duration"] > 1, audio  # the browser decoded the recording's header
    assert "Recording 1" in page.locator(".rl-audio").inner_text()
