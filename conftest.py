"""Loaded first by pytest for tests and notebooks alike: a private home for the whole run.

Keys, recordings and events of a test run live in a temporary folder (notebook kernels
inherit it), and a trainer's live credentials in the environment or .env never reach a test.
The folder holds a few hundred MB of recordings by the end, so it is removed afterwards
(set RECORDING_LAB_KEEP_TEST_HOME=1 to keep it for a post-mortem).
"""

import os
import shutil
import tempfile

HOME = tempfile.mkdtemp(prefix="recording-lab-tests-")
os.environ["RECORDING_LAB_HOME"] = HOME
os.environ["RECORDING_LAB_MODE"] = "simulator"


def pytest_unconfigure(config):
    if not os.environ.get("RECORDING_LAB_KEEP_TEST_HOME"):
        shutil.rmtree(HOME, ignore_errors=True)
