# Two commands: `make lab` starts JupyterLab on the lessons (simulator mode by default),
# `make test` runs every test. Both set up .venv and ffmpeg on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: lab test setup ffmpeg bench bench-class lint

setup: $(STAMP) ffmpeg

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# pydub needs ffmpeg to convert recordings (lessons 00 and 06). Install it where we can;
# otherwise say how, and the lab falls back to soundfile for what it can do without it.
ffmpeg:
	@command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing ffmpeg (apt-get)..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg) >/dev/null; \
	  elif command -v sudo >/dev/null && command -v apt-get >/dev/null; then \
	    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg; \
	  else \
	    echo "ffmpeg is missing: install it (apt-get install ffmpeg / brew install ffmpeg)."; \
	    echo "Until then the lab converts with soundfile and skips the pydub-only steps."; \
	  fi; }

# --allow-root only where it is needed (containers and CI machines often run as root)
lab: setup
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $$([ "$$(id -u)" = 0 ] && echo --allow-root)

test: setup
	RECORDING_LAB_MODE=simulator $(PY) -m pytest

bench: setup
	$(PY) benchmarks/bench_recording.py
	$(PY) benchmarks/bench_suite.py

# A class of TRAINEES on a real JupyterHub (class/jupyterhub_config.py). It installs
# jupyterhub and configurable-http-proxy into .bench-hub/ on first use, not into .venv.
TRAINEES ?= 10
bench-class: ffmpeg
	$(PYTHON) benchmarks/bench_class.py --trainees $(TRAINEES)

lint: setup
	$(VENV)/bin/ruff check .
