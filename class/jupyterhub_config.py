"""JupyterHub configuration for a Recording Lab class: `jupyterhub -f class/jupyterhub_config.py`.

What it sets, and why (README, "Running a class"):
- every trainee's lab state (simulator keys, CA, recordings, event logs) in their own home,
  `~/.recording-lab`, folder mode 0700: never a folder two trainees share;
- simulator mode forced: live credentials on a hub would be shared by the whole class;
- 512 MiB guaranteed and 1 GiB at most per trainee (enforced by spawners that can, e.g.
  SystemdSpawner on The Littlest JupyterHub, KubeSpawner; LocalProcessSpawner only passes them
  on as MEM_GUARANTEE / MEM_LIMIT);
- idle kernels shut down after 20 minutes, idle servers culled after an hour
  (jupyterhub-idle-culler runs as a hub service);
- the lessons copied into each trainee's `~/recording-lab` when their server starts, as the
  trainee (`class/start-trainee`), without ever overwriting a lesson already there.

The hub's environment needs jupyterhub and jupyterhub-idle-culler (pip), configurable-http-proxy
(npm); the trainees' environment needs requirements.txt and `pip install --no-deps -e .` of this
repository. As is, it logs trainees in with PAM (their Unix accounts on the server) and starts
each server as that Unix user (LocalProcessSpawner): run it as root. Change the authenticator
for your organisation's logins; keep the rest. `benchmarks/bench_class.py` loads this file and
replaces only the authenticator, the spawner's homes and the ports.

Settings read from the environment when the hub starts:
RECORDING_LAB_LESSONS   the lessons to copy (default: this repository's notebooks/)
RECORDING_LAB_CULL_IDLE seconds before an idle server is culled (default 3600)
"""

import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821 - JupyterHub provides get_config() to its config files

CLASS_DIR = Path(__file__).resolve().parent
LESSONS = Path(os.environ.get("RECORDING_LAB_LESSONS", CLASS_DIR.parent / "notebooks")).resolve()
CULL_IDLE_SECONDS = int(os.environ.get("RECORDING_LAB_CULL_IDLE", "3600"))

# --- each trainee's own lab ------------------------------------------------------------------
c.Spawner.environment = {
    # the lab expands "~" in the trainee's own process: a folder in each trainee's own home
    "RECORDING_LAB_HOME": "~/.recording-lab",
    "RECORDING_LAB_MODE": "simulator",
    "RECORDING_LAB_LESSONS": str(LESSONS),
}
# start-trainee copies the lessons (as the trainee, so they own their copies), sets umask 077
# and then runs the single-user server.
c.Spawner.cmd = [str(CLASS_DIR / "start-trainee"), "jupyterhub-singleuser"]
c.Spawner.notebook_dir = "~"
c.Spawner.default_url = "/lab/tree/recording-lab/00_start_here.ipynb"

# --- resources ---------------------------------------------------------------------------------
c.Spawner.mem_guarantee = "512M"
c.Spawner.mem_limit = "1G"
# a whole class logging in at once on a small server: give each server time to start
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180
# kernels of notebooks left open but unused free their memory after 20 minutes
c.Spawner.args = [
    "--MappingKernelManager.cull_idle_timeout=1200",
    "--MappingKernelManager.cull_interval=120",
    "--MappingKernelManager.cull_connected=True",
]

# --- culling idle servers ------------------------------------------------------------------
c.JupyterHub.services = [{
    "name": "idle-culler",
    "command": [sys.executable, "-m", "jupyterhub_idle_culler",
                f"--timeout={CULL_IDLE_SECONDS}", "--cull-every=300"],
}]
c.JupyterHub.load_roles = [{
    "name": "idle-culler",
    "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
    "services": ["idle-culler"],
}]

# --- no live credentials reach a trainee ----------------------------------------------------
# JupyterHub passes only Spawner.env_keep from the hub's environment; keep VONAGE_* out of it.
c.Spawner.env_keep = ["PATH", "PYTHONPATH", "LANG", "LC_ALL", "VIRTUAL_ENV", "CONDA_ROOT",
                      "CONDA_DEFAULT_ENV", "JUPYTERHUB_SINGLEUSER_APP"]

