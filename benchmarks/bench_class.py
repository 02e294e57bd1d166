"""A class on a real JupyterHub: N trainees log in and run lessons 00 and 03 at once.

Starts JupyterHub (PyPI) with configurable-http-proxy (npm) on loopback, using the trainers'
`class/jupyterhub_config.py` with only these replaced: the dummy authenticator, a local-process
spawner that gives each trainee a home under a temporary folder, the ports and the hub's files.
Then:
1. logs N trainees in through the hub's login form and starts each one's server (spawn time:
   from the start request until the hub reports the server ready);
2. once every server is up, each trainee's own server runs lessons 00 and 03 top to bottom in
   a kernel of its own, cell by cell over the kernel's websocket through the hub's proxy with
   the trainee's API token (lesson time: from opening the notebook's session, kernel start
   included, to its last cell), all trainees at once;
3. checks that no trainee can read another's recordings or events: another trainee's simulator
   refuses their JWT (401), a recording cannot be fetched with another trainee's JWT (401) nor
   found on another simulator (404), and every file stays in its owner's home (state folder
   and lesson folder 0700, files not readable by others);
4. prints spawn p50/p99, lesson p50/p99, CPU seconds and peak memory (RSS of the trainee's
   server and its kernels, sampled every 0.5 s) per trainee, and every error; the last line is
   a one-line summary. Exit status 1 on any error or any cross-trainee access.

Everything it starts (hub, proxy, idle culler, servers, kernels) is stopped at the end, on
errors and on Ctrl-C too. In this benchmark every trainee is the same Unix user (no root, no
accounts), so Unix permissions cannot keep trainees apart here: what is checked is that the
simulators refuse each other's JWTs and that each trainee's files are in their own home with
private modes, which on a real hub (one Unix user per trainee) the kernel enforces.

Set-up: jupyterhub, jupyterhub-idle-culler, psutil and websocket-client go into a venv of their
own, `.bench-hub/venv`, together with requirements.txt and this repository (`pip install
--no-deps -e .`), and configurable-http-proxy into `.bench-hub/node`; `--setup` does it, and
any run does it first if it is missing or requirements.txt changed.

Run: `make bench-class` (10 trainees) or `python3 benchmarks/bench_class.py --trainees 30`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".bench-hub"
VENV = CACHE / "venv"
NODE = CACHE / "node"
PYTHON = VENV / "bin" / "python"
CHP = NODE / "node_modules" / ".bin" / "configurable-http-proxy"
STAMP = CACHE / ".installed"
# what the benchmark installs beside requirements.txt (pinned, like the lab itself)
HUB_PACKAGES = ["jupyterhub==6.1.1", "jupyterhub-idle-culler==2.0.0", "psutil==7.2.2",
                "websocket-client==1.9.2"]
PROXY_PACKAGE = "configurable-http-proxy@5.3.0"
LESSONS = ["00_start_here.ipynb", "03_blocking_recordings.ipynb"]
CELL_TIMEOUT = 300  # seconds, as nbval's --nbval-cell-timeout


# --- set-up (standard library only: it runs before the venv exists) -------------------------
def setup_fingerprint() -> str:
    text = (ROOT / "requirements.txt").read_text() + "\n".join(HUB_PACKAGES) + PROXY_PACKAGE
    return hashlib.sha256(text.encode()).hexdigest()


def setup(force: bool = False) -> None:
    """Create .bench-hub/venv and .bench-hub/node unless they are there for these pins."""
    if not force and STAMP.is_file() and STAMP.read_text() == setup_fingerprint():
        return
    if not shutil.which("npm"):
        sys.exit("bench_class: npm is needed for configurable-http-proxy (install Node.js).")
    print(f"Setting up {CACHE.relative_to(ROOT)}/ (jupyterhub, configurable-http-proxy)...",
          flush=True)
    CACHE.mkdir(exist_ok=True)
    run = lambda *cmd: subprocess.run([str(c) for c in cmd], check=True)  # noqa: E731
    if not PYTHON.exists():
        run(sys.executable, "-m", "venv", VENV)
    pip = [PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    run(*pip, "--upgrade", "pip")
    run(*pip, "-r", ROOT / "requirements.txt", *HUB_PACKAGES)
    run(*pip, "--no-deps", "-e", ROOT)
    run("npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", NODE,
        PROXY_PACKAGE)
    STAMP.write_text(setup_fingerprint())


# --- helpers ----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (with 10 values, p99 is the largest)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


@dataclass
class Trainee:
    name: str
    home: Path
    token: str = ""
    spawn_s: float | None = None
    lessons_s: dict[str, float] = field(default_factory=dict)
    kernels: dict[str, str] = field(default_factory=dict)  # lesson -> kernel id
    probe: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    cpu_s: float = 0.0
    start_cpu_s: float | None = None  # CPU seconds when every server was up (server start)
    peak_mib: float = 0.0
    pss_mib: float = 0.0  # proportional set size at the end: shared libraries split fairly


HUB_CONFIG = """\
# written by benchmarks/bench_class.py: the trainers' configuration, with only what a
# benchmark on one machine without user accounts must change
c = get_config()  # noqa
load_subconfig({class_config!r})
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
# every trainee is this Unix user, with a home of their own under the benchmark's folder
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {homes!r} + "/{{username}}"
c.Spawner.cmd = [{start_trainee!r}, {singleuser!r}]
c.Spawner.args = list(c.Spawner.args) + {extra_args!r}
c.JupyterHub.bind_url = "http://127.0.0.1:{port}"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{hub_port}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api_port}"
c.ConfigurableHTTPProxy.command = [{chp!r}]
c.JupyterHub.db_url = "sqlite:///{folder}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = {folder!r} + "/jupyterhub_cookie_secret"
c.JupyterHub.pid_file = {folder!r} + "/jupyterhub.pid"
c.JupyterHub.cleanup_servers = True
c.JupyterHub.concurrent_spawn_limit = {trainees}
c.JupyterHub.services = list(c.JupyterHub.services) + [
    {{"name": "bench", "api_token": {api_token!r}}}]
c.JupyterHub.load_roles = list(c.JupyterHub.load_roles) + [{{
    "name": "bench", "services": ["bench"],
    "scopes": ["admin:users", "admin:servers", "tokens", "list:users", "read:users"]}}]
"""


class Hub:
    """A JupyterHub in a folder of its own, stopped with everything it started."""

    def __init__(self, folder: Path, trainees: int):
        self.folder = folder
        self.homes = folder / "homes"
        self.homes.mkdir(parents=True)
        self.port, self.hub_port, self.api_port = free_port(), free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api_token = uuid.uuid4().hex + uuid.uuid4().hex
        self.config = folder / "jupyterhub_config.py"
        self.config.write_text(HUB_CONFIG.format(
            class_config=str(ROOT / "class" / "jupyterhub_config.py"), homes=str(self.homes),
            start_trainee=str(ROOT / "class" / "start-trainee"),
            singleuser=str(VENV / "bin" / "jupyterhub-singleuser"), port=self.port,
            hub_port=self.hub_port, api_port=self.api_port, chp=str(CHP), folder=str(folder),
            trainees=max(trainees, 10), api_token=self.api_token,
            # Jupyter refuses to run as root unless told; real trainees are never root
            extra_args=["--allow-root"] if os.getuid() == 0 else []))
        self.log = folder / "jupyterhub.log"
        self.process: subprocess.Popen | None = None
        self.seen: set[int] = set()  # every process of the hub's tree, to stop stragglers

    def start(self) -> None:
        import requests

        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("VONAGE_", "RECORDING_LAB_", "JUPYTER", "PUBLIC_URL"))}
        env["PATH"] = f"{VENV / 'bin'}:{NODE / 'node_modules' / '.bin'}:{env.get('PATH', '')}"
        env.pop("PYTHONPATH", None)  # the venv's editable install points at this checkout
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [str(VENV / "bin" / "jupyterhub"), "-f", str(self.config)], cwd=self.folder,
                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterHub exited ({self.process.returncode}); "
                                   f"see {self.log}:\n{self.tail()}")
            try:
                if requests.get(f"{self.url}/hub/api/", timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"JupyterHub did not answer in 120 s:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def api(self, method: str, path: str, timeout: float | tuple = 60, **kwargs):
        import requests

        headers = {"Authorization": f"token {self.api_token}"}
        return requests.request(method, f"{self.url}/hub/api{path}", headers=headers,
                                timeout=timeout, **kwargs)

    def stop(self) -> None:
        """SIGTERM the hub (it stops servers, culler and proxy), then anything left over."""
        import psutil

        if self.process is None:
            return
        try:
            self.seen.update(p.pid for p in psutil.Process(self.process.pid)
                             .children(recursive=True))
        except psutil.Error:
            pass
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        left = []
        for pid in self.seen:
            try:
                proc = psutil.Process(pid)
                if proc.status() != psutil.STATUS_ZOMBIE:
                    proc.terminate()
                    left.append(proc)
            except psutil.Error:
                pass
        _, alive = psutil.wait_procs(left, timeout=10)
        for proc in alive:
            proc.kill()
        if left:
            print(f"stopped {len(left)} process(es) the hub left behind", flush=True)


class Sampler(threading.Thread):
    """Every 0.5 s: each trainee's server and kernels (RSS sum, CPU seconds per process)."""

    def __init__(self, hub: Hub, trainees: dict[str, Trainee]):
        super().__init__(daemon=True, name="sampler")
        self.hub, self.trainees = hub, trainees
        self.owner: dict[int, str | None] = {}  # the hub's child processes: pid -> trainee
        self.cpu: dict[str, dict[int, float]] = {name: {} for name in trainees}
        self.hub_cpu: dict[int, float] = {}  # hub, proxy, culler
        self.class_peak_mib = 0.0  # the largest sum of every process's RSS at one sample
        self.stop_event = threading.Event()

    def run(self) -> None:
        while not self.stop_event.is_set():
            self.sample()
            self.stop_event.wait(0.5)

    def sample(self) -> None:
        import psutil

        try:
            hub = psutil.Process(self.hub.process.pid)
            children = hub.children()
            self.hub_cpu[hub.pid] = sum(hub.cpu_times()[:2])
        except psutil.Error:
            return
        total = hub.memory_info().rss
        for child in children:
            if child.pid not in self.owner:
                try:
                    self.owner[child.pid] = child.environ().get("JUPYTERHUB_USER")
                except psutil.Error:
                    continue
            name = self.owner[child.pid]
            try:
                tree = [child, *child.children(recursive=True)]
            except psutil.Error:
                continue
            rss = 0
            for proc in tree:
                self.hub.seen.add(proc.pid)
                try:
                    with proc.oneshot():
                        cpu = sum(proc.cpu_times()[:2])
                        rss += proc.memory_info().rss
                except psutil.Error:
                    continue
                (self.cpu[name] if name in self.cpu else self.hub_cpu)[proc.pid] = cpu
            total += rss
            if name in self.trainees:
                trainee = self.trainees[name]
                trainee.peak_mib = max(trainee.peak_mib, rss / 2**20)
                trainee.cpu_s = sum(self.cpu[name].values())
        self.class_peak_mib = max(self.class_peak_mib, total / 2**20)

    def measure_pss(self) -> None:
        """Each trainee's PSS now (every kernel still open): too slow to sample often."""
        import psutil

        for pid, name in list(self.owner.items()):
            if name not in self.trainees:
                continue
            try:
                server = psutil.Process(pid)
                tree = [server, *server.children(recursive=True)]
            except psutil.Error:
                continue
            pss = 0
            for proc in tree:
                try:
                    pss += proc.memory_full_info().pss
                except psutil.Error:
                    pass
            self.trainees[name].pss_mib = pss / 2**20


# --- one trainee -------------------------------------------------------------------------------
class Kernel:
    """A kernel of the trainee's server, driven over its websocket (Jupyter's JSON protocol)."""

    def __init__(self, hub: Hub, trainee: Trainee, kernel_id: str):
        import websocket

        self.session = uuid.uuid4().hex
        url = (f"ws://127.0.0.1:{hub.port}/user/{trainee.name}/api/kernels/{kernel_id}/"
               f"channels?session_id={self.session}")
        self.ws = websocket.create_connection(
            url, header=[f"Authorization: token {trainee.token}"], timeout=CELL_TIMEOUT)

    def request(self, msg_type: str, content: dict) -> tuple[dict, list[dict]]:
        """Send on shell; return the reply and the iopub messages until the kernel is idle."""
        msg_id = uuid.uuid4().hex
        self.ws.send(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": msg_type, "session": self.session,
                       "username": "bench", "version": "5.3", "date": ""},
            "parent_header": {}, "metadata": {}, "content": content, "channel": "shell",
            "buffers": []}))
        reply, outputs, idle = None, [], False
        deadline = time.monotonic() + CELL_TIMEOUT
        while reply is None or not idle:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no answer to {msg_type} in {CELL_TIMEOUT} s")
            msg = json.loads(self.ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if msg["channel"] == "shell":
                reply = msg
            elif msg["channel"] == "iopub":
                if msg["msg_type"] == "status":
                    idle = msg["content"]["execution_state"] == "idle"
                else:
                    outputs.append(msg)
        return reply, outputs

    def run_cell(self, code: str) -> tuple[list[str], str]:
        """Run one cell; its errors (tracebacks in a line) and its printed text."""
        reply, outputs = self.request("execute_request", {
            "code": code, "silent": False, "store_history": True, "user_expressions": {},
            "allow_stdin": False, "stop_on_error": True})
        errors = [f"{m['content']['ename']}: {m['content']['evalue']}"
                  for m in outputs if m["msg_type"] == "error"]
        if reply["content"].get("status") != "ok" and not errors:
            errors.append(f"execute_reply status {reply['content'].get('status')}")
        text = "".join(m["content"]["text"] for m in outputs
                       if m["msg_type"] == "stream" and m["content"]["name"] == "stdout")
        return errors, text

    def close(self) -> None:
        self.ws.close()


def user_api(hub: Hub, trainee: Trainee, method: str, path: str, **kwargs):
    import requests

    reply = requests.request(method, f"{hub.url}/user/{trainee.name}/api{path}",
                             headers={"Authorization": f"token {trainee.token}"}, timeout=120,
                             **kwargs)
    reply.raise_for_status()
    return reply.json()


def log_in_and_spawn(hub: Hub, trainee: Trainee) -> None:
    import requests

    browser = requests.Session()
    browser.get(f"{hub.url}/hub/login", timeout=60).raise_for_status()
    reply = browser.post(f"{hub.url}/hub/login", timeout=60, allow_redirects=False,
                         data={"username": trainee.name, "password": "class",
                               "_xsrf": browser.cookies.get("_xsrf", "")})
    if reply.status_code != 302 or "login" in reply.headers.get("Location", "login"):
        raise RuntimeError(f"login refused: HTTP {reply.status_code}")
    started = time.perf_counter()
    reply = hub.api("POST", f"/users/{trainee.name}/server")
    if reply.status_code not in (201, 202):
        raise RuntimeError(f"spawn request: HTTP {reply.status_code} {reply.text[:200]}")
    # wait as the browser's spawn page does: on the hub's progress event stream
    with hub.api("GET", f"/users/{trainee.name}/server/progress", stream=True,
                 timeout=(30, 400)) as events:
        events.raise_for_status()
        for line in events.iter_lines():
            if not line.startswith(b"data:"):
                continue
            event = json.loads(line[5:])
            if event.get("failed"):
                raise RuntimeError(f"the server failed to start: {event.get('message')}")
            if event.get("ready"):
                break
        else:
            raise RuntimeError("the hub's progress stream ended before the server was ready")
    trainee.spawn_s = time.perf_counter() - started
    reply = hub.api("POST", f"/users/{trainee.name}/tokens",
                    json={"note": "bench_class", "expires_in": 7200})
    reply.raise_for_status()
    trainee.token = reply.json()["token"]


def run_lesson(hub: Hub, trainee: Trainee, lesson: str) -> None:
    started = time.perf_counter()
    path = f"recording-lab/{lesson}"
    notebook = user_api(hub, trainee, "GET", f"/contents/{path}?content=1")["content"]
    session = user_api(hub, trainee, "POST", "/sessions", json={
        "path": path, "name": lesson, "type": "notebook", "kernel": {"name": "python3"}})
    trainee.kernels[lesson] = session["kernel"]["id"]
    kernel = Kernel(hub, trainee, session["kernel"]["id"])
    try:
        kernel.request("kernel_info_request", {})
        for number, cell in enumerate(notebook["cells"]):
            if cell["cell_type"] != "code" or not cell["source"].strip():
                continue
            errors, _ = kernel.run_cell(cell["source"])
            if errors:
                trainee.errors.extend(f"{lesson} cell {number}: {e}" for e in errors)
                return
    finally:
        kernel.close()
    trainee.lessons_s[lesson] = time.perf_counter() - started


PROBE = """\
import json as _json, os as _os
_event = first_call.record_events[0]
_jwt = lab.vonage.http_client.auth.create_jwt_auth_string()
print(_json.dumps({
    "home": _os.path.expanduser("~"), "cwd": _os.getcwd(),
    "state_dir": str(lab.simulator.credentials.state_dir),
    "api_host": lab.api_host, "ca_cert": lab.simulator.info()["ca_cert"],
    "jwt": _jwt.decode() if isinstance(_jwt, bytes) else _jwt,
    "recording_url": _event["recording_url"], "recording_uuid": _event["recording_uuid"],
    "event_log": str(lab.events.path),
    "files": [str(_os.path.abspath(p)) for p in first_call.files],
    "mode": lab.mode}))
"""


def probe(hub: Hub, trainee: Trainee) -> None:
    """Ask the trainee's lesson-00 kernel for its simulator, JWT, recording and files."""
    kernel = Kernel(hub, trainee, trainee.kernels[LESSONS[0]])
    try:
        errors, text = kernel.run_cell(PROBE)
    finally:
        kernel.close()
    if errors:
        raise RuntimeError(f"probe: {errors}")
    trainee.probe = json.loads(text.strip().splitlines()[-1])


def trainee_flow(hub: Hub, trainee: Trainee, all_spawned: threading.Barrier) -> None:
    try:
        log_in_and_spawn(hub, trainee)
    except Exception as err:
        trainee.errors.append(f"spawn: {err}")
    finally:
        try:
            all_spawned.wait(600)  # the class starts the lessons together
        except threading.BrokenBarrierError:
            trainee.errors.append("the class never got going (a barrier broke)")
        time.sleep(0.6)  # one more sample of the servers, idle, before the lessons start
        trainee.start_cpu_s = trainee.cpu_s
    if trainee.errors:
        return
    try:
        for lesson in LESSONS:
            run_lesson(hub, trainee, lesson)
            if trainee.errors:
                return
        probe(hub, trainee)
    except Exception as err:
        trainee.errors.append(f"lessons: {type(err).__name__}: {err}")


# --- the cross-trainee checks ----------------------------------------------------------------
def private(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


def cross_checks(hub: Hub, trainees: list[Trainee]) -> list[str]:
    """What one trainee could reach of another's; every line is a breach or a failed check."""
    import requests

    breaches = []
    ready = [t for t in trainees if t.probe]
    names = {t.name: {p.name for p in t.home.rglob("*")} for t in ready}
    logs = {t.name: Path(t.probe["event_log"]).read_text() for t in ready}

    def get(url: str, jwt: str, ca: str) -> int:
        return requests.get(url, headers={"Authorization": jwt}, verify=ca, timeout=30,
                            ).status_code

    for i, a in enumerate(ready):
        p, home = a.probe, a.home.resolve()
        if p["mode"] != "simulator":
            breaches.append(f"{a.name}: the lab runs in {p['mode']} mode, not simulator")
        state = Path(p["state_dir"])
        if state != home / ".recording-lab":
            breaches.append(f"{a.name}: lab state in {state}, not in {home}/.recording-lab")
        for folder in (state, home / "recording-lab"):
            if not folder.is_dir() or stat.S_IMODE(folder.stat().st_mode) != 0o700:
                breaches.append(f"{a.name}: {folder} is not a 0700 folder")
        for f in [Path(p["event_log"]), *map(Path, p["files"]), state / "private.key"]:
            if not f.is_relative_to(home):
                breaches.append(f"{a.name}: {f} is outside their home")
            elif not private(f):
                breaches.append(f"{a.name}: {f} can be read by others "
                                f"({stat.S_IMODE(f.stat().st_mode):o})")
        # controls: the trainee's own JWT works on their own simulator
        if get(f"https://{p['api_host']}/v1/calls", p["jwt"], p["ca_cert"]) != 200:
            breaches.append(f"{a.name}: their own simulator refuses them (control failed)")
        if get(p["recording_url"], p["jwt"], p["ca_cert"]) != 200:
            breaches.append(f"{a.name}: cannot fetch their own recording (control failed)")
        if len(ready) < 2:
            continue
        b = ready[(i + 1) % len(ready)]
        q = b.probe
        # A's JWT at B's simulator, B's JWT at A's recording, A's recording id at B's simulator
        status = get(f"https://{q['api_host']}/v1/calls", p["jwt"], q["ca_cert"])
        if status != 401:
            breaches.append(f"{b.name}'s simulator answered {status} to {a.name}'s JWT")
        status = get(p["recording_url"], q["jwt"], p["ca_cert"])
        if status != 401:
            breaches.append(f"{a.name}'s recording: HTTP {status} with {b.name}'s JWT")
        status = get(f"https://{q['api_host']}/v1/files/{p['recording_uuid']}", q["jwt"],
                     q["ca_cert"])
        if status != 404:
            breaches.append(f"{b.name}'s simulator: HTTP {status} for {a.name}'s recording")
        for other in ready:
            if other is a:
                continue
            if any(p["recording_uuid"] in n for n in names[other.name]):
                breaches.append(f"{a.name}'s recording is in {other.name}'s home")
            if p["recording_uuid"] in logs[other.name]:
                breaches.append(f"{a.name}'s recording is in {other.name}'s event log")
    return breaches


# --- the whole benchmark ---------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trainees", type=int, default=10)
    parser.add_argument("--setup", action="store_true",
                        help="(re)install .bench-hub/ and stop")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary folder (homes, hub log) afterwards")
    args = parser.parse_args()
    if args.setup:
        setup(force=True)
        return 0
    setup()
    if Path(sys.prefix).resolve() != VENV.resolve():  # go on in the benchmark's venv
        os.execv(str(PYTHON), [str(PYTHON), __file__, *sys.argv[1:]])

    folder = Path(tempfile.mkdtemp(prefix="bench-class-"))
    hub = Hub(folder, args.trainees)
    trainees = {f"trainee{i:02d}": Trainee(f"trainee{i:02d}", hub.homes / f"trainee{i:02d}")
                for i in range(1, args.trainees + 1)}
    sampler = Sampler(hub, trainees)
    breaches: list[str] = []
    errors: list[str] = []
    started = time.perf_counter()
    print(f"bench_class: {args.trainees} trainees on JupyterHub at {hub.url} "
          f"(homes under {hub.homes}); every trainee is this one Unix user here, so isolation "
          f"is checked as the simulators' JWTs and each home's files and modes", flush=True)
    barrier = threading.Barrier(args.trainees)
    pool = ThreadPoolExecutor(args.trainees)
    try:
        hub.start()
        sampler.start()
        futures = [pool.submit(trainee_flow, hub, t, barrier) for t in trainees.values()]
        for future in futures:
            future.result()
        breaches = cross_checks(hub, list(trainees.values()))
        sampler.measure_pss()
        if args.trainees > 1 and not any(t.probe for t in trainees.values()):
            errors.append("no trainee got as far as the cross-trainee checks")
    except KeyboardInterrupt:
        errors.append("interrupted")
    except Exception as err:
        errors.append(f"{type(err).__name__}: {err}")
    finally:
        barrier.abort()
        sampler.stop_event.set()
        hub.stop()
        pool.shutdown(wait=False, cancel_futures=True)
        if errors and hub.process is not None:
            print(f"--- the end of {hub.log}:\n{hub.tail()}", file=sys.stderr)
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    wall = time.perf_counter() - started

    people = list(trainees.values())
    errors += [f"{t.name}: {e}" for t in people for e in t.errors]
    spawns = [t.spawn_s for t in people if t.spawn_s is not None]
    lessons = [s for t in people for s in t.lessons_s.values()]
    cpus = [t.cpu_s for t in people]
    peaks = [t.peak_mib for t in people]
    for t in people:
        if t.peak_mib > 1024:
            errors.append(f"{t.name}: {t.peak_mib:.0f} MiB, over the hub's 1 GiB mem_limit")
    print(f"{'trainee':10} {'spawn s':>8} " + " ".join(f"{n[:2] + ' s':>7}" for n in LESSONS)
          + f" {'CPU s':>7} {'of which start':>14} {'peak MiB':>9} {'PSS MiB':>8}")
    for t in people:
        cells = " ".join(f"{t.lessons_s[n]:7.1f}" if n in t.lessons_s else f"{'-':>7}"
                         for n in LESSONS)
        spawn = f"{t.spawn_s:8.1f}" if t.spawn_s is not None else f"{'-':>8}"
        start = f"{t.start_cpu_s:14.1f}" if t.start_cpu_s is not None else f"{'-':>14}"
        print(f"{t.name:10} {spawn} {cells} {t.cpu_s:7.1f} {start} {t.peak_mib:9.0f} "
              f"{t.pss_mib:8.0f}")
    for lesson in LESSONS:
        runs = [t.lessons_s[lesson] for t in people if lesson in t.lessons_s]
        print(f"lesson {lesson}: p50 {percentile(runs, 50):.1f} s, "
              f"p99 {percentile(runs, 99):.1f} s over {len(runs)} runs")
    starts = [t.start_cpu_s for t in people if t.start_cpu_s is not None]
    print(f"per trainee: CPU {sum(cpus) / len(cpus):.1f} s ({sum(starts) / max(len(starts), 1):.1f}"
          f" s to start the server), peak RSS {sum(peaks) / len(peaks):.0f} MiB, PSS at the end "
          f"{sum(t.pss_mib for t in people) / len(people):.0f} MiB (RSS counts shared libraries "
          f"once per process, PSS splits them)")
    print(f"whole class: peak RSS {sampler.class_peak_mib / 1024:.1f} GiB (hub and proxy "
          f"included); hub, proxy and idle culler {sum(sampler.hub_cpu.values()):.1f} CPU s; "
          f"wall time {wall:.0f} s")
    for line in errors:
        print(f"ERROR {line}")
    for line in breaches:
        print(f"CROSS-TRAINEE {line}")
    checked = sum(1 for t in people if t.probe)
    print(f"cross-trainee checks: {checked} trainees, {len(breaches)} failed")
    print(f"bench_class trainees={args.trainees} spawn_p50={percentile(spawns, 50):.1f}s "
          f"spawn_p99={percentile(spawns, 99):.1f}s lesson_p50={percentile(lessons, 50):.1f}s "
          f"lesson_p99={percentile(lessons, 99):.1f}s "
          f"cpu_per_trainee={sum(cpus) / len(cpus):.1f}s "
          f"peak_mib_per_trainee={sum(peaks) / len(peaks):.0f} "
          f"(max {max(peaks):.0f}) "
          f"pss_mib_per_trainee={sum(t.pss_mib for t in people) / len(people):.0f} "
          f"class_peak_gib={sampler.class_peak_mib / 1024:.1f} "
          f"errors={len(errors)} cross_trainee={len(breaches)} "
          f"wall={wall:.0f}s {'OK' if not errors and not breaches else 'FAILED'}")
    return 1 if errors or breaches else 0


if __name__ == "__main__":
    sys.exit(main())
