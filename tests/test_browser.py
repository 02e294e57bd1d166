"""A trainee's first ten minutes, in headless Chromium: JupyterLab started as `make lab` starts it.

The server runs on loopback over a trainee's copies of the lessons (tools/my_lessons.py, as
`make lab`), with the repository's jupyter-config/ (opens lesson 00, no news pop-up), and
Debian's Chromium is driven through Playwright (an explicit executable: nothing is
downloaded). The tests check that lesson 00 opens first with its how-to in view and runs
without a widget error; that lesson 07, opened before it is run, already shows its builder
(the widget state stored in the lesson); that the builder shows the validator's error for
`timeOut` 99999 and keeps the value; and that a test call shows its timeline, events, waveform
and recording. Screenshots land in artifacts/browser/. Outside CI the tests skip when Chromium
or Playwright is missing; in CI (CI=true) that is a failure.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import secrets
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
START = ROOT / "notebooks" / "00_start_here.ipynb"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
ARTIFACTS = ROOT / "artifacts" / "browser"
SCREENSHOT = ARTIFACTS / "playground.png"
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only
# Start the notebook's kernel without asking (a never-run notebook would ask). News and update
# checks are off through jupyter-config/, as `make lab` has them: that is under test too.
LAB_SETTINGS = {"@jupyterlab/notebook-extension/tracker.jupyterlab-settings":
                {"autoStartDefaultKernel": True}}
#: What JupyterLab's widget manager shows when a widget cannot be drawn.
WIDGET_ERRORS = ("Error displaying widget", "Failed to load model class", "model not found",
                 "Could not create a view", "Loading widget...")


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


def my_lessons_tool():
    spec = importlib.util.spec_from_file_location("my_lessons", ROOT / "tools" / "my_lessons.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def jupyter(tmp_path_factory):
    """JupyterLab on loopback as `make lab` starts it: a trainee's copies, jupyter-config/."""
    require_tools()
    work = tmp_path_factory.mktemp("browser")
    root_dir = work / "my-lessons"
    tool = my_lessons_tool()  # trusted by the server's notary (its data dir is below)
    assert tool.copy(ROOT / "notebooks", root_dir, by=tool.notary(work / "data"))
    settings_dir = work / "lab-settings"
    for name, values in LAB_SETTINGS.items():
        path = settings_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port, token = free_port(), secrets.token_hex(24)
    env = {**os.environ, "RECORDING_LAB_HOME": str(work / "lab-home"),
           "RECORDING_LAB_MODE": "simulator", "JUPYTERLAB_SETTINGS_DIR": str(settings_dir),
           "JUPYTER_CONFIG_DIR": str(work / "config"), "JUPYTER_DATA_DIR": str(work / "data"),
           "JUPYTER_CONFIG_PATH": str(ROOT / "jupyter-config"),  # as `make lab` sets it
           "JUPYTER_RUNTIME_DIR": str(work / "runtime"),
           "JUPYTERLAB_WORKSPACES_DIR": str(work / "workspaces"),
           "IPYTHONDIR": str(work / "ipython"),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
                                                       os.environ.get("PYTHONPATH")]))}
    log_path = work / "jupyter.log"
    # `make lab`'s command line, plus loopback, a known token and no extension manager (it
    # would ask PyPI); news and update checks are off through jupyter-config/ alone.
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
               f"--port={port}", "--ServerApp.port_retries=0", "--allow-root",
               f"--IdentityProvider.token={token}", f"--notebook-dir={root_dir}",
               "--LabApp.extension_manager=readonly"]
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


PROMPTS = """() => [...(document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)')
                        ?.querySelectorAll('.jp-CodeCell .jp-InputPrompt') ?? [])]
                  .map(p => p.textContent.trim())"""


def run_all_and_wait(page) -> None:
    """Run All Cells, then wait until every code cell shows a new run number.

    A stored lesson already shows [1]:, [2]:, ...: first wait for the last cell to be queued
    ([*]:, set as soon as Run All queues it), then for no [*]: to be left.
    """
    run_all_cells(page)
    page.wait_for_function(f"() => ({PROMPTS})().at(-1) === '[*]:'")
    page.wait_for_function(f"""() => {{
        const prompts = ({PROMPTS})();
        return prompts.length > 0 && prompts.every(p => /^\\[\\d+\\]:$/.test(p));
    }}""", timeout=120_000)


def widget_errors(page) -> list[str]:
    text = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)").inner_text()
    return [e for e in WIDGET_ERRORS if e in text]


def stderr_tracebacks(page) -> list[str]:
    return [t for t in page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) "
                                    ".jp-OutputArea-output[data-mime-type="
                                    "'application/vnd.jupyter.stderr']").all_inner_texts()
            if "Traceback" in t or "Error" in t]


class Browser:
    """One Chromium page on the lab, its console errors, and a screenshot on failure."""

    def __init__(self, jupyter, name: str, height: int = 1500):
        self.jupyter, self.name, self.height, self.console_errors = jupyter, name, height, []

    def __enter__(self):
        from playwright.sync_api import sync_playwright

        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                         args=CHROMIUM_ARGS)
        self.page = self._browser.new_page(viewport={"width": 1366,
                                                               "height": self.height})
        self.page.set_default_timeout(60_000)
        self.page.on("console", lambda msg: self.console_errors.append(msg.text)
                     if msg.type == "error" else None)
        return self

    def goto(self, path: str) -> None:
        joiner = "&" if "?" in path else "?"
        self.page.goto(f"{self.jupyter['url']}{path}{joiner}token={self.jupyter['token']}")

    def __exit__(self, kind, error, traceback):
        try:
            if kind is not None:
                self.page.screenshot(path=str(ARTIFACTS / f"{self.name}-failure.png"))
        finally:
            self._browser.close()
            self._playwright.stop()
        if kind is None:
            errors = [e for e in self.console_errors if "Traceback" in e]
            assert not errors, errors


def test_the_lab_opens_on_lesson_00_whose_how_to_shows_and_which_runs_without_widget_errors(
        jupyter):
    with Browser(jupyter, "lesson-00", height=768) as browser:  # a laptop's screen
        page = browser.page
        browser.goto("/")  # jupyter-config/ sends the trainee to lesson 00
        page.locator(".lm-TabBar-tab.lm-mod-current", has_text="00_start_here.ipynb").wait_for()
        how_to = page.locator(".jp-RenderedMarkdown",
                              has=page.get_by_role("heading", name="How to use a notebook"))
        how_to.wait_for()
        assert "Shift+Enter" in how_to.inner_text() and how_to.is_visible()
        heading = page.get_by_role("heading", name="How to use a notebook")
        assert heading.bounding_box()["y"] < 768  # in view on opening, not below the fold
        page.screenshot(path=str(ARTIFACTS / "lesson-00-opened.png"))
        wait_for_idle_kernel(page)
        run_all_and_wait(page)
        page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .rl-audio, "
                     ".jp-NotebookPanel:not(.lm-mod-hidden) audio").first.wait_for()
        assert widget_errors(page) == []
        assert stderr_tracebacks(page) == []
        # jupyter-config/ turns the news pop-up off: after a whole lesson, no toast asked
        assert page.locator(".Toastify__toast", has_text="news").count() == 0


def test_playground_shows_its_builder_before_it_runs_then_refuses_a_bad_value_and_calls(
        jupyter):
    with Browser(jupyter, "playground") as browser:
        page = browser.page
        browser.goto(f"/lab/tree/{NOTEBOOK.name}?reset")
        # Never run: the widget state stored in the lesson draws the builder, not its repr
        page.locator(".rl-playground .rl-param-timeOut").wait_for()
        assert page.locator(".jp-OutputArea-output", has_text="<Recording playground>").count() \
            == 0
        page.locator(".rl-playground").scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "playground-before-run.png"))
        wait_for_idle_kernel(page)
        run_all_and_wait(page)
        button = page.locator(".rl-place-call")
        button.wait_for(state="visible")
        assert button.inner_text().strip() == "Place test call"
        button.click()
        page.locator(".rl-status", has_text="done in").wait_for()
        check_results(page)
        page.locator(".rl-place-call").evaluate("el => el.scrollIntoView({block: 'start'})")
        page.screenshot(path=str(SCREENSHOT))
        check_timeout_99999_is_refused_and_kept(page)
        assert widget_errors(page) == []
    assert SCREENSHOT.stat().st_size > 10_000


def check_timeout_99999_is_refused_and_kept(page) -> None:
    """The builder shows the validator's own sentence and leaves 99999 in the box."""
    from helpers import rules

    [problem] = rules.validate([{"action": "record", "timeOut": 99999}])
    row = page.locator(".rl-playground .rl-param-timeOut")
    box = row.locator("input[type='text']")
    box.fill("99999")
    box.press("Enter")
    page.locator(".rl-ncco-problems", has_text=problem.message).wait_for()
    row.get_by_text(problem.message).wait_for()  # beside the box, in red
    assert box.input_value() == "99999"
    assert row.locator("input[type='checkbox']").is_checked()
    assert "Valid NCCO" not in page.locator(".rl-ncco-problems").inner_text()
    row.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "builder-timeout-99999.png"))


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
