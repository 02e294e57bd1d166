# Two commands: `make lab` starts JupyterLab on the lessons (simulator mode by default),
# `make test` runs every test. Both set up .venv and ffmpeg on first use.
# `make clean-lesson N=03` puts a trainee's copy of one lesson back as shipped.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: lab clean-lesson test setup ffmpeg bench bench-class lint

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

# Trainees work on copies in my-lessons/ (git-ignored): lessons they lack are copied in, their
# edits are never overwritten. jupyter-config/ opens lesson 00 and turns Jupyter's news pop-up
# off. --allow-root only where it is needed (containers and CI machines often run as root).
lab: setup
	$(PY) tools/my_lessons.py copy
	JUPYTER_CONFIG_PATH="$(CURDIR)/jupyter-config$${JUPYTER_CONFIG_PATH:+:$$JUPYTER_CONFIG_PATH}" \
	  $(VENV)/bin/jupyter lab --notebook-dir=my-lessons $$([ "$$(id -u)" = 0 ] && echo --allow-root)

clean-lesson:
	@[ -n "$(N)" ] || { echo "Which lesson? For example: make clean-lesson N=03"; exit 2; }
	@$(PYTHON) tools/my_lessons.py restore $(N)

test: setup
	RECORDING_LAB_MODE=simulator $(PY) -m pytest

bench: setup
	$(PY) benchmarks/bench_recording.py
	$(PY) benchmarks/bench_load.py
	$(PY) benchmarks/bench_suite.py

# A class of TRAINEES on a real JupyterHub (class/jupyterhub_config.py). It installs
# jupyterhub and configurable-http-proxy into .bench-hub/ on first use, not into .venv.
TRAINEES ?= 10
bench-class: ffmpeg
	$(PYTHON) benchmarks/bench_class.py --trainees $(TRAINEES)

lint: setup
	$(VENV)/bin/ruff check .
