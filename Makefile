# Two commands: `make run` (set up and serve) and `make test` (set up and test).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test install install-test demo clean chromium

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "tracker needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

## chromium: Debian's chromium and CJK fonts, for chart images in the Word reports (kaleido) and
## the browser tests; installed with apt-get when missing and we are root, else a notice only
chromium:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's chromium and fonts-noto-cjk (chart images, browser tests)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null) \
	      || echo "chromium could not be installed: Word reports get no chart images, browser tests are skipped"; \
	  else \
	    echo "No /usr/bin/chromium (install Debian's chromium and fonts-noto-cjk): Word reports get no chart images, browser tests are skipped"; \
	  fi; \
	fi

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## run: install, migrate, ensure an admin, load the demo data with its demo users (finance,
## leader, one unit's staff; their passwords are printed and kept in instance/demo-users.txt), serve
## with the one scheduler beside the server (Ctrl+C stops both)
run: install chromium
	$(BIN)/tracker db upgrade
	$(BIN)/tracker admin ensure
	$(BIN)/tracker demo load
	$(BIN)/tracker serve --with-scheduler --host $(HOST) --port $(PORT)

## test: install with the test extras and run the whole suite
test: install-test chromium
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
