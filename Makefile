# Set-up in one command each, from a fresh clone (needs only python3 >= 3.10 and make):
#   make compare   the main job: `seqdoodle compare` on the built-in synthetic doodles
#   make test      the tests: `ruff check .`, `lint-imports`, `python -m pytest -q -rs`
# Both create the project's own virtual environment .venv in the checkout when it is missing and
# install seqdoodle into it (editable) with every version pinned by constraints.txt; a second run
# installs nothing unless pyproject.toml or constraints.txt changed. Extra arguments:
#   make test PYTEST_ARGS="-k kinds"      make compare COMPARE_ARGS="--epochs 2"
#   make test PYTEST_WORKERS=0            (the tests in one process)
# Other targets: venv (set up only), lock (refresh constraints.txt), wheel-smoke (build the wheel,
# install it outside the checkout and run it: what CI does), clean (remove .venv and build output).

PYTHON ?= python3
VENV ?= .venv
CONSTRAINTS ?= constraints.txt
PYTEST_ARGS ?=
# the tests run in 2 processes (pytest-xdist), one test file a process: a 2-core machine's other
# core works while one test waits on a subprocess, a server or the browser
PYTEST_WORKERS ?= 2
COMPARE_ARGS ?=
# the interpreters `make lock` resolves with (one pin set each, merged with python_version markers)
LOCK_PYTHONS ?= $(PYTHON)

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.NOTPARALLEL:
.DEFAULT_GOAL := help

VENV_PY := $(VENV)/bin/python
PIP := $(VENV_PY) -m pip
STAMP_CORE := $(VENV)/.installed-core
STAMP_DEV := $(VENV)/.installed-dev

.PHONY: help compare test venv web-deps lock wheel-smoke clean

help:
	@sed -n '2,9s/^# \{0,1\}//p' $(firstword $(MAKEFILE_LIST))

# $(call make-venv,DIR,PYTHON): a virtual environment with pip at DIR. Stock Debian/Ubuntu Python
# refuses pip outside a venv (PEP 668) and lacks ensurepip without python3-venv: then pip is put in
# with the system pip (`pip --python`) when there is one, else one line says what to install.
define make-venv
if ! $(2) -c 'import sys; sys.exit(sys.version_info < (3, 10))' >/dev/null 2>&1; then \
    echo "error: seqdoodle needs Python >= 3.10 and '$(2)' is older or missing; run: make $(or $(MAKECMDGOALS),venv) PYTHON=python3.X" >&2; \
    exit 1; \
fi; \
if $(2) -m venv --clear $(1) >/dev/null 2>&1; then :; \
elif rm -rf $(1) && $(2) -m pip --version >/dev/null 2>&1 \
        && $(2) -m venv --without-pip $(1) >/dev/null 2>&1 \
        && $(2) -m pip --python $(1)/bin/python install -q pip >/dev/null 2>&1 \
        && $(1)/bin/python -m pip --version >/dev/null 2>&1; then \
    echo "note: $(2) has no ensurepip; pip was put into $(1) with $(2)'s own pip"; \
else \
    rm -rf $(1); \
    echo "error: '$(2) -m venv' cannot make a virtual environment with pip (no ensurepip); on Debian/Ubuntu: sudo apt install $$($(2) -c 'import sys; print("python%d.%d-venv" % sys.version_info[:2])'), then run make again" >&2; \
    exit 1; \
fi
endef

$(VENV_PY):
	@echo "Creating the virtual environment $(VENV) with $(PYTHON)"
	@$(call make-venv,$(VENV),$(PYTHON))

$(STAMP_CORE): pyproject.toml $(CONSTRAINTS) | $(VENV_PY)
	@echo "Installing seqdoodle into $(VENV), versions pinned by $(CONSTRAINTS) (minutes the first time)"
	$(PIP) install -q -c $(CONSTRAINTS) --upgrade pip
	$(PIP) install -q -c $(CONSTRAINTS) -e .
	@touch $@

$(STAMP_DEV): pyproject.toml $(CONSTRAINTS) | $(VENV_PY)
	@echo "Installing seqdoodle and its test tools into $(VENV), versions pinned by $(CONSTRAINTS) (minutes the first time)"
	$(PIP) install -q -c $(CONSTRAINTS) --upgrade pip
	$(PIP) install -q -c $(CONSTRAINTS) -e ".[dev]"
	@touch $(STAMP_CORE) $@

venv: $(STAMP_DEV)

# compare and test run as in the activated venv (the tests start `seqdoodle` subprocesses); the
# set-up recipes they depend on see this PATH too, so they name the venv's python in full
compare test: export PATH := $(abspath $(VENV))/bin:$(PATH)
compare test: export VIRTUAL_ENV := $(abspath $(VENV))

compare: $(STAMP_CORE)
	seqdoodle compare $(COMPARE_ARGS)

test: $(STAMP_DEV) web-deps
	ruff check .
	lint-imports
	python -m pytest -q -rs -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# web/'s pinned npm packages (esbuild, onnxruntime-web) from its lock file, for the test that
# rebuilds the shipped browser bundle; without npm that test skips (and fails under CI).
WEB_STAMP := web/node_modules/.installed
web-deps:
	@if command -v npm >/dev/null 2>&1; then \
	    $(MAKE) --no-print-directory $(WEB_STAMP); \
	else echo "npm not found: the web/ bundle tests will skip (under CI they fail)"; fi

$(WEB_STAMP): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Refresh constraints.txt: for each of LOCK_PYTHONS a fresh temporary venv, `pip install -e .[dev]`
# unpinned (the newest releases the ranges in pyproject.toml allow), `pip freeze`; the pin sets are
# merged, a package whose version differs between interpreters gets one pin per python_version.
# Then run `make test` (it reinstalls, constraints.txt being newer) and commit constraints.txt.
#   make lock LOCK_PYTHONS="python3.10 python3.11 python3.12 python3.13"
lock:
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	for py in $(LOCK_PYTHONS); do \
	    ver=$$($$py -c 'import sys; print("%d.%d" % sys.version_info[:2])'); \
	    echo "Resolving with $$py (Python $$ver), unpinned"; \
	    $(call make-venv,$$tmp/venv$$ver,$$py); \
	    "$$tmp/venv$$ver/bin/python" -m pip install -q --upgrade pip; \
	    "$$tmp/venv$$ver/bin/python" -m pip install -q -e ".[dev]"; \
	    "$$tmp/venv$$ver/bin/python" -m pip freeze --all --exclude-editable \
	        | grep -v -i -E '^(setuptools|distribute)==' > "$$tmp/$$ver.txt"; \
	done; \
	$(firstword $(LOCK_PYTHONS)) -c "$$LOCK_MERGE" "$$tmp"/*.txt > "$$tmp/merged"; \
	mv "$$tmp/merged" $(CONSTRAINTS); \
	echo "Wrote $(CONSTRAINTS): $$(grep -c '==' $(CONSTRAINTS)) pins"

define LOCK_MERGE
import pathlib, re, sys
sets = {pathlib.Path(f).stem: pathlib.Path(f).read_text().split() for f in sys.argv[1:]}
vers = sorted(sets, key=lambda v: tuple(map(int, v.split("."))))
pins = {}
for ver in vers:
    for line in sets[ver]:
        name, _, version = line.partition("==")
        key = re.sub(r"[-_.]+", "-", name).lower()
        pins.setdefault(key, {})[ver] = (name, version)
print("# Exact versions of everything `pip install -e .[dev]` installs, used as pip constraints")
print("# (`pip install -c constraints.txt ...`) by `make compare`, `make test` and CI, so that a new")
print("# release of TensorFlow, Keras or anything else cannot break a fresh clone unnoticed.")
print("# Refresh: `make lock LOCK_PYTHONS=\"python3.10 python3.11 python3.12 python3.13\"` (a fresh")
print("# temporary venv per interpreter, unpinned install, pip freeze, merged), then `make test`, commit.")
print("# Resolved with Python " + ", ".join(vers) + " on " + sys.platform + ".")
for key in sorted(pins):
    by_ver = pins[key]
    if len({version for _, version in by_ver.values()}) == 1:
        name, version = next(iter(by_ver.values()))
        print(f"{name}=={version}")
        continue
    runs = []
    for ver in vers:
        if ver in by_ver and (not runs or runs[-1][1][1] != by_ver[ver][1]):
            runs.append((ver, by_ver[ver]))
    for i, (first, (name, version)) in enumerate(runs):
        marks = [f'python_version >= "{first}"'] if i else []
        if i + 1 < len(runs):
            marks.append(f'python_version < "{runs[i + 1][0]}"')
        print(f"{name}=={version}; " + " and ".join(marks))
endef
export LOCK_MERGE

# What CI does after `make test`: build the sdist and the wheel from it, install the wheel into a
# fresh venv outside the checkout (its dependencies: the test venv's pinned ones, not installed a
# second time) and run it from outside the checkout, so the package data (class list, live page,
# web bundle) is proven to ship.
wheel-smoke: $(STAMP_DEV)
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	echo "Building the sdist and the wheel"; \
	$(VENV_PY) -m build --outdir "$$tmp/dist" . > "$$tmp/build.log" 2>&1 || { cat "$$tmp/build.log"; exit 1; }; \
	whl=$$(ls "$$tmp"/dist/*.whl); \
	echo "Installing $$(basename "$$whl") into a fresh venv in $$tmp"; \
	$(call make-venv,$$tmp/venv,$(PYTHON)); \
	"$$tmp/venv/bin/python" -c "$$SEE_DEPENDENCIES" "$(abspath $(VENV_PY))"; \
	"$$tmp/venv/bin/python" -m pip install -q --no-deps "$$whl"; \
	"$$tmp/venv/bin/python" -m pip install -c "$(abspath $(CONSTRAINTS))" --dry-run "$$whl" > "$$tmp/deps.txt"; \
	if grep -q "Would install" "$$tmp/deps.txt" && ! grep -q "Would install seqdoodle-[^ ]*$$" "$$tmp/deps.txt"; then \
	    cat "$$tmp/deps.txt"; echo "the wheel's requirements are not met by the pinned set"; exit 1; fi; \
	{ git ls-files -- seqdoodle 2>/dev/null || true; } | grep -v -E '\.py$$' > "$$tmp/data-files.txt" || true; \
	cd "$$tmp"; \
	echo "+ seqdoodle --help"; "$$tmp/venv/bin/seqdoodle" --help > help.txt; \
	echo "+ seqdoodle classes"; "$$tmp/venv/bin/seqdoodle" classes > classes.txt; head -n 3 classes.txt; \
	"$$tmp/venv/bin/python" -c "$$WHEEL_CHECK" "$(CURDIR)" data-files.txt classes.txt

# The fresh venv sees the test venv's pinned packages (their site-packages appended to its path by
# a .pth file: a plain path, so the editable install of the checkout stays invisible); the wheel
# itself goes into the fresh venv, and `pip install --dry-run` proves the pins meet its requirements.
define SEE_DEPENDENCIES
import pathlib, subprocess, sys, sysconfig
theirs = subprocess.run([sys.argv[1], "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                        check=True, capture_output=True, text=True).stdout.strip()
ours = pathlib.Path(sysconfig.get_paths()["purelib"])
(ours / "zz-pinned-dependencies.pth").write_text(theirs + "\n")
endef
export SEE_DEPENDENCIES

define WHEEL_CHECK
import importlib.resources, pathlib, sys
import seqdoodle
checkout = pathlib.Path(sys.argv[1]).resolve()
where = pathlib.Path(seqdoodle.__file__).resolve()
assert checkout not in where.parents, f"seqdoodle was imported from the checkout: {where}"
package = importlib.resources.files("seqdoodle")
tracked = pathlib.Path(sys.argv[2]).read_text().split("\n")
wanted = {"data/categories.txt", "serve/page.html"}
wanted |= {line.split("/", 1)[1] for line in tracked if line.startswith("seqdoodle/")}
missing = sorted(w for w in wanted if not package.joinpath(*w.split("/")).is_file())
assert not missing, f"not in the installed package: {missing}"
classes = package.joinpath("data", "categories.txt").read_text().splitlines()
listed = pathlib.Path(sys.argv[3]).read_text().splitlines()
assert listed == classes and len(classes) > 300, (len(listed), len(classes))
page = package.joinpath("serve", "page.html").read_text()
assert "<html" in page.lower(), "serve/page.html is not a page"
print(f"wheel ok: seqdoodle {seqdoodle.__version__} from {where.parent}, "
      f"{len(wanted)} data files ({', '.join(sorted(wanted))}), {len(classes)} classes")
endef
export WHEEL_CHECK

clean:
	rm -rf $(VENV) build dist seqdoodle.egg-info web/node_modules
