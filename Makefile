# ResistDesk: two commands do all set-up on a fresh Debian machine.
#   make run    launch the application on the default database
#   make test   install what is needed and run the whole suite

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Debian libraries Qt needs offscreen, and for a real window under Xvfb.
QT_LIBS   := libglib2.0-0 libegl1 libgl1 libdbus-1-3 libfontconfig1 libxkbcommon0
XCB_LIBS  := libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 \
             libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libxkbcommon-x11-0 xvfb xauth
TOOLS     := poppler-utils libnss3-tools
SYS_PKGS  := $(QT_LIBS) $(XCB_LIBS) $(TOOLS)

.PHONY: run test lint typecheck system-deps venv bytecode clean screenshots screenshots-check installer installer-test bench fuzz

run: venv bytecode
	$(BIN)/resistdesk $(ARGS)

test: venv lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(PYTEST_ARGS)

# The input fuzz suite with many random examples (make test runs a quick, reproducible pass).
fuzz: venv
	RESISTDESK_FUZZ=long QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest tests/core/fuzz -q $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check core desktop tests
	$(BIN)/mypy core desktop

system-deps:
	@missing=""; for p in $(SYS_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

venv: $(STAMP)

# Compiled modules, as an installed wheel or the bundle has them: without them every start
# compiles our sources again (always, where PYTHONDONTWRITEBYTECODE is set).
bytecode: venv
	$(BIN)/python -m compileall -q -j 0 core desktop resources tests

$(STAMP): pyproject.toml | system-deps
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

# Screenshots of the real application under Xvfb (used in the README).
# The README's pictures at 1366x768; `make screenshots-check` also takes every screen at
# 1920x1080 and in a dark palette (into build/screenshots/), with the dialogs the README does not
# show, to look at before a release.
screenshots: venv
	xvfb-run -a -s "-screen 0 1366x768x24" $(BIN)/python -m desktop.screenshots resources/screenshots --size 1366x768

screenshots-check: venv
	xvfb-run -a -s "-screen 0 1366x768x24" $(BIN)/python -m desktop.screenshots build/screenshots/1366-dark --size 1366x768 --dark --all
	xvfb-run -a -s "-screen 0 1920x1080x24" $(BIN)/python -m desktop.screenshots build/screenshots/1920-light --size 1920x1080 --all
	xvfb-run -a -s "-screen 0 1920x1080x24" $(BIN)/python -m desktop.screenshots build/screenshots/1920-dark --size 1920x1080 --dark --all

# Speed at site scale against floors measured in the same run (not part of `make test`).
bench: venv bytecode
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m tests.bench.run $(BENCH_ARGS)

# The offline workstation bundle (PyInstaller, one folder) and its versioned archive.
installer: venv
	$(BIN)/python -m pip install -q -e '.[installer]'
	bash installer/build.sh

# Unpack the archive, install it for a throwaway user, and run the installed
# program's --selftest with no Python environment on PATH.
installer-test: installer
	@tmp=$$(mktemp -d); \
	tar -C $$tmp -xzf $$(ls -t dist/ResistDesk-*-linux-*.tar.gz | head -1); \
	env -i HOME=$$tmp/home PATH=/usr/bin:/bin LANG=C.UTF-8 bash $$tmp/ResistDesk-*/install-linux.sh && \
	env -i HOME=$$tmp/home PATH=/usr/bin:/bin LANG=C.UTF-8 $$tmp/home/.local/bin/resistdesk --selftest && \
	env -i HOME=$$tmp/home PATH=/usr/bin:/bin LANG=C.UTF-8 $$tmp/home/.local/bin/resistdesk classify \
	  --as-of 2024-06-06 resources/examples/cases/primary-confirmed.json | grep -q primary_resistance && \
	echo "installer-test passed: $$(du -sh $$tmp/ResistDesk-* | cut -f1) bundle"; \
	status=$$?; rm -rf $$tmp; exit $$status

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache
