"""Loaded first by pytest for tests and notebooks alike: a private home for the whole run.

Keys, recordings and events of a test run live in a temporary folder (notebook kernels
inherit it), and a trainer's live credentials in the environment or .env never reach a test.
"""

import os
import tempfile

os.environ["RECORDING_LAB_HOME"] = tempfile.mkdtemp(prefix="recording-lab-tests-")
os.environ["RECORDING_LAB_MODE"] = "simulator"
