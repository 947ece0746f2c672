# courselab — `make lab` to start, `make test` to check everything. `make help` lists all.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DB     := build/courselab.db
BROWSE := .venv-browse
# pip-compile's options for both locks: hashes for every file of every package, pip and
# setuptools pinned too (--allow-unsafe), no machine-specific index lines.
PIP_COMPILE := $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
               --no-emit-index-url --no-emit-find-links
# The HTML export draws diagrams with mermaid's classic-script build, fetched once by `make vendor`
# (the same version and SHA-256 as MERMAID_VERSION / MERMAID_SHA256 in courselab/notebooks.py).
MERMAID_VERSION := 11.10.0
MERMAID_SHA256  := 0755e39315802b1f9644afbc95ef1eccd4015a47399deae280bf1c1fd33835c2
MERMAID_JS      := build/vendor/mermaid-$(MERMAID_VERSION).min.js
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)
# `make lab` opens the student edition; instructors: `make lab EDITION=notebooks`.
EDITION ?= student

.PHONY: help lab edition test lint unit nbval notebooks nav html schema db bench clean \
        student answers slides reset vendor lock browse browse-env python-3.11

help:
	@echo "make lab        set up .venv, build $(DB) with fixtures, open JupyterLab on notebook 00"
	@echo "                (student edition; EDITION=notebooks for the instructor edition)"
	@echo "make test       lint, unit tests and nbval on every notebook (what CI runs)"
	@echo "                (make unit, make nbval: either one alone)"
	@echo "make notebooks  re-execute every notebook in place after an intended change"
	@echo "make html       static HTML that works offline: build/html/student (hand this out)"
	@echo "                and build/html/instructor (solutions and notes: never hand it out)"
	@echo "make student    regenerate the student edition (student/) from notebooks/"
	@echo "make answers    re-run the solutions and regenerate courselab/exercises.json"
	@echo "make slides     set the RISE slide metadata of every notebook"
	@echo "make reset      give a student clean notebooks in student/ and a fresh $(DB)"
	@echo "make schema     regenerate schema.sql from the migrations"
	@echo "make db         rebuild $(DB) from the migrations and data/"
	@echo "make bench      generate the large dataset and measure it (a few minutes): build/bench.md"
	@echo "make browse     browse $(DB) in Datasette (own environment $(BROWSE))"
	@echo "make vendor     fetch what the tests need offline (mermaid.min.js into build/vendor)"
	@echo "make lock       re-lock requirements.txt and browse/requirements.txt after editing a .in"
	@echo "make clean      remove build/ and notebook databases (keeps .venv)"

# Set-up: exactly the locked packages (--require-hashes; pip-sync drops any the lock no longer
# lists), courselab itself built with the locked setuptools, mermaid, and the Datasette
# environment (a few seconds; its test then runs in CI instead of skipping): `make test` then
# runs with no network.
$(STAMP): requirements.txt pyproject.toml | python-3.11 $(MERMAID_JS) $(BROWSE)/.installed
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.txt
	$(BIN)/pip-sync --quiet requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# The locks are made for Python 3.11: refuse another one before building anything.
python-3.11:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11) and \
	  "the locks are made for Python 3.11: run make PYTHON=python3.11")'

vendor: $(MERMAID_JS)

$(MERMAID_JS):
	mkdir -p $(@D)
	rm -rf $(@D)/npm && mkdir $(@D)/npm
	cd $(@D)/npm && npm pack --silent mermaid@$(MERMAID_VERSION) >/dev/null
	tar -xzOf $(@D)/npm/mermaid-$(MERMAID_VERSION).tgz package/dist/mermaid.min.js > $@.part
	rm -rf $(@D)/npm
	echo "$(MERMAID_SHA256)  $@.part" | sha256sum --check --quiet
	mv $@.part $@

lock: $(STAMP)
	$(PIP_COMPILE) --output-file=requirements.txt requirements.in
	$(PIP_COMPILE) --output-file=browse/requirements.txt browse/requirements.in

$(BROWSE)/.installed: browse/requirements.txt | python-3.11
	$(PYTHON) -m venv $(BROWSE)
	$(BROWSE)/bin/python -m pip install --quiet --require-hashes -r browse/requirements.txt
	touch $@

browse-env: $(BROWSE)/.installed

browse: browse-env
	test -f $(DB) || $(MAKE) db
	$(BROWSE)/bin/datasette serve $(DB) --metadata browse/metadata.yml \
	  --plugins-dir browse/plugins --host 127.0.0.1 --port 8001

db: $(STAMP)
	mkdir -p build
	rm -f $(DB) $(DB)-wal $(DB)-shm
	$(BIN)/courselab migrate --db $(DB)
	$(BIN)/courselab load --db $(DB)

# The kernels get courselab's IPython profile: a cell run before the setup cell says so.
IPYTHON_DIR := build/ipython

lab: edition vendor db
	$(BIN)/python -c "from courselab import startup; startup.profile('$(IPYTHON_DIR)')"
	$(BIN)/jupyter trust $(EDITION)/*.ipynb >/dev/null  # ours: their stored SVG outputs show
	IPYTHONDIR=$(abspath $(IPYTHON_DIR)) $(BIN)/jupyter lab $(LAB_ROOT) $(EDITION)/00-Start-Here.ipynb

# Before anything is built: EDITION names one of the two editions.
edition:
	@case "$(EDITION)" in student|notebooks) ;; \
	  *) echo "make lab: EDITION=$(EDITION) is not an edition: use EDITION=student (the default) or EDITION=notebooks" >&2; exit 2;; esac

# Notebook 24 runs its PostgreSQL cells on a throwaway server: without PostgreSQL installed
# (and not under CI, where .ci/run installs it) it is left out, with a line saying so.
PG_INSTALLED := $(wildcard /usr/lib/postgresql/*/bin/initdb)
NB_PG := notebooks/24-The-Same-Design-On-PostgreSQL.ipynb
NB_SKIP := $(if $(PG_INSTALLED)$(CI),,--ignore=$(NB_PG))
define say_nb_skip
$(if $(NB_SKIP),@echo "nbval: $(NB_PG) left out: install PostgreSQL (apt-get install postgresql) to check it")
endef
NBVAL := --nbval --nbval-current-env

# One session for the suite and nbval, on three workers (2 cores: kernels, browsers and servers
# leave one idle part of the time). Whole files go to one worker each (a notebook's cells share
# its kernel, a module its fixtures), the longest first (tests/conftest.py), none reordered.
PYTEST_N := -n 3 --dist loadfile --no-loadscope-reorder

test: vendor lint
	$(say_nb_skip)
	$(BIN)/python -m pytest -q $(PYTEST_N) $(NBVAL) tests notebooks $(NB_SKIP)

lint: $(STAMP)
	$(BIN)/ruff check .

unit: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_N) tests

# tests/conftest.py as a plugin: without tests/ on the command line pytest would not load it,
# and with it nbval's kernel starts are retried (and the longest notebooks start first).
nbval: $(STAMP)
	$(say_nb_skip)
	$(BIN)/python -m pytest -q -p tests.conftest $(PYTEST_N) $(NBVAL) notebooks $(NB_SKIP)

notebooks: $(STAMP)
	$(BIN)/courselab notebooks nav
	$(BIN)/courselab notebooks slides
	$(BIN)/courselab notebooks answers
	$(BIN)/courselab notebooks execute
	$(BIN)/courselab notebooks student

nav: $(STAMP)
	$(BIN)/courselab notebooks nav
	$(BIN)/courselab notebooks slides

# Both editions, in folders of their own: hand out build/html/student only.
html: $(STAMP)
	$(BIN)/courselab notebooks html build/html/instructor --notebooks notebooks
	$(BIN)/courselab notebooks html build/html/student --notebooks student
	@echo "instructor edition (solutions, notes): build/html/instructor/index.html - do not hand out"
	@echo "student edition (no solutions, no notes): build/html/student/index.html - for students"

bench: $(STAMP)
	$(BIN)/courselab bench --scale large --out build/bench.md

schema: $(STAMP)
	$(BIN)/courselab schema > schema.sql

# SOLUTIONS=1: self-learners may see each solution after two hints (never for graded classes).
student: $(STAMP)
	$(BIN)/courselab notebooks student $(if $(SOLUTIONS),--with-solutions,)

answers: $(STAMP)
	$(BIN)/courselab notebooks answers

slides: $(STAMP)
	$(BIN)/courselab notebooks slides

reset: $(STAMP)
	$(BIN)/courselab reset --dir student --db $(DB)

clean:
	rm -rf build notebooks/databases student/databases
	rm -f notebooks/*.db notebooks/*.db-wal notebooks/*.db-shm student/*.db student/*.db-wal student/*.db-shm
