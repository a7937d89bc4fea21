# The two set-up commands of the README: `make run` and `make test`.
PYTHON ?= python3
PIP = $(PYTHON) -m pip install --quiet --disable-pip-version-check
SUDO = $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install run test bench

install:  ## the package with every extra, and Graphviz's `dot` through apt where it is missing
	@command -v dot >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq graphviz; }
	$(PIP) -e ".[all]"

run: install  ## train an MLP on the bundled digits: progress bar, accuracy, loss curve, diagram
	$(PYTHON) -m nn

test: install  ## the whole test suite, notebooks included
	$(PYTHON) -m pytest tests --nbmake notebooks -p no:cacheprovider

bench: install  ## the peers' environments, then the whole benchmark suite (see benchmarks/README.md)
	PYTHON=$(PYTHON) bash benchmarks/setup_peers.sh
	$(PYTHON) benchmarks/run.py
