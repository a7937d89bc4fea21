# The two set-up commands of the README: `make run` and `make test`.
#
# Python packages go into the project's own virtual environment, .venv (Debian's and Ubuntu's
# system Python refuses pip: PEP 668), or into the one already active ($VIRTUAL_ENV). System
# tools come from apt where they are missing: python3-venv (to make .venv), Graphviz's `dot`
# (diagrams) and, for `make test`, Debian's chromium (the browser tests drive it through
# Playwright; Ubuntu names its package chromium-browser). `sudo` is used when you are not root.
PYTHON ?= python3
CHROMIUM ?= $(firstword $(wildcard /usr/bin/chromium /usr/bin/chromium-browser) /usr/bin/chromium)
DOT ?= dot
VENV ?= $(if $(VIRTUAL_ENV),$(VIRTUAL_ENV),.venv)
SUDO ?= $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_GET = $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get
VENV_PYTHON = $(VENV)/bin/python
export CHROMIUM  # the browser tests read it

.PHONY: venv install system-tools test-tools run test test-torch test-frameworks notebooks bench

venv: $(VENV_PYTHON)  ## the virtual environment alone

$(VENV_PYTHON):
	@if ! $(PYTHON) -m venv $(VENV) >/dev/null 2>&1; then \
	  rm -rf $(VENV); \
	  echo "$(PYTHON) cannot make a virtual environment: installing its venv package with apt"; \
	  package=$$($(PYTHON) -c 'import sys; print("python3.%d-venv" % sys.version_info[1])'); \
	  $(APT_GET) update -qq && { $(APT_GET) install -y -qq $$package || \
	                             $(APT_GET) install -y -qq python3-venv; } && \
	  $(PYTHON) -m venv $(VENV); \
	fi
	@test -x $(VENV_PYTHON) || { echo "no Python in $(VENV); remove it and run make again"; exit 1; }

system-tools:  ## Graphviz's dot through apt, where it is missing
	@command -v $(DOT) >/dev/null || { \
	  $(APT_GET) update -qq && $(APT_GET) install -y -qq graphviz; }

test-tools: system-tools  ## and Debian's chromium for the browser tests, where it is missing
	@test -x $(CHROMIUM) || { $(APT_GET) update -qq && { \
	  $(APT_GET) install -y -qq chromium || $(APT_GET) install -y -qq chromium-browser; }; }

install: $(VENV_PYTHON) system-tools  ## the package with every extra, into the environment
	$(VENV_PYTHON) -m pip install --quiet --disable-pip-version-check -e ".[all]"

run: install  ## train an MLP on the bundled digits: progress bar, accuracy, loss curve, diagram
	$(VENV_PYTHON) -m nn --force

test: install test-tools  ## the linter, then the whole test suite, notebooks included
	$(VENV_PYTHON) -m ruff check .
	$(VENV_PYTHON) -m pytest tests --nbmake notebooks -p no:cacheprovider -m "not torch and not jax"

test-torch: install  ## the tests that use PyTorch as an extra oracle (the CPU wheel, 2.13.0)
	$(VENV_PYTHON) -m pip install --quiet --disable-pip-version-check torch==2.13.0
	$(VENV_PYTHON) -m pytest tests -p no:cacheprovider -m torch

test-frameworks: install  ## check_gradients on PyTorch and JAX code (torch==2.13.0 CPU, jax CPU)
	$(VENV_PYTHON) -m pip install --quiet --disable-pip-version-check torch==2.13.0 jax jaxlib
	$(VENV_PYTHON) -m pytest tests -p no:cacheprovider -m "torch or jax"

notebooks: install  ## JupyterLab on the course notebooks
	$(VENV_PYTHON) -m jupyter lab notebooks

bench: install  ## the peers' environments, then the whole benchmark suite (benchmarks/README.md)
	PYTHON=$(VENV_PYTHON) bash benchmarks/setup_peers.sh
	$(VENV_PYTHON) benchmarks/run.py
