# courselab — `make lab` to start, `make test` to check everything. `make help` lists all.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DB     := build/courselab.db
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)
# `make lab` opens the student edition; instructors: `make lab EDITION=notebooks`.
EDITION ?= student

.PHONY: help lab test lint unit nbval notebooks nav html schema db bench clean \
        student answers slides reset

help:
	@echo "make lab        set up .venv, build $(DB) with fixtures, open JupyterLab on notebook 00"
	@echo "                (student edition; EDITION=notebooks for the instructor edition)"
	@echo "make test       lint, unit tests and nbval on every notebook (what CI runs)"
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
	@echo "make clean      remove build/ and notebook databases (keeps .venv)"

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

db: $(STAMP)
	mkdir -p build
	rm -f $(DB) $(DB)-wal $(DB)-shm
	$(BIN)/courselab migrate --db $(DB)
	$(BIN)/courselab load --db $(DB)

# The kernels get courselab's IPython profile: a cell run before the setup cell says so.
IPYTHON_DIR := build/ipython

lab: db
	$(BIN)/python -c "from courselab import startup; startup.profile('$(IPYTHON_DIR)')"
	IPYTHONDIR=$(abspath $(IPYTHON_DIR)) $(BIN)/jupyter lab $(LAB_ROOT) $(EDITION)/00-Start-Here.ipynb

test: lint unit nbval

lint: $(STAMP)
	$(BIN)/ruff check courselab tests

unit: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 tests

nbval: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile --nbval --nbval-current-env notebooks

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

student: $(STAMP)
	$(BIN)/courselab notebooks student

answers: $(STAMP)
	$(BIN)/courselab notebooks answers

slides: $(STAMP)
	$(BIN)/courselab notebooks slides

reset: $(STAMP)
	$(BIN)/courselab reset --dir student --db $(DB)

clean:
	rm -rf build notebooks/databases student/databases
	rm -f notebooks/*.db notebooks/*.db-wal notebooks/*.db-shm student/*.db student/*.db-wal student/*.db-shm
