# shopcase: two commands do everything.
#   make run   set up .venv, then execute every notebook (build/notebooks/, build/summary.md)
#   make test  set up .venv, then run the whole test suite (unit tests, notebooks, nbval)

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.shopcase-installed
ORACLES := recommenders==1.2.1
# statsforecast (the classical forecasters) and fugue (which it imports) pin pandas<3 in their metadata but run
# under pandas 3 (tests/demand checks their forecasts): installed without dependencies, which pyproject lists.
STATSFORECAST := "statsforecast>=2.1" "fugue>=0.9.7"
# Every extra of pyproject.toml: the course (JupyterLab, papermill, nbval), the test tools and Spark (scale-out).
EXTRAS := course,dev,spark
# One BLAS thread per process: implicit's ALS asks for it, and results stay identical run to run.
export OPENBLAS_NUM_THREADS ?= 1
# OpenMP threads of HistGradientBoosting spin-wait on a busy 2-core machine (a 0.2 s fit took 40 s).
export OMP_NUM_THREADS ?= 1

.PHONY: setup run test lab notebooks lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "shopcase needs Python >= 3.11, found " + sys.version)'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[$(EXTRAS)]"
	@# Microsoft Recommenders is only a test oracle for metrics; its full install pins pandas<3, so no deps.
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps "$(ORACLES)"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps $(STATSFORECAST)
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (shopcase)" >/dev/null
	@touch $@

run: $(STAMP)
	@$(BIN)/shopcase run-notebooks --build build

# Cross-checks against independent implementations must run, not skip, under make test. So must the Spark
# tests wherever Java is present; Java is the one thing pip cannot install, so a machine without it gets one line
# saying so and the Spark tests skip. CI (.ci/run) sets SHOPCASE_REQUIRE_SPARK=1: there they can never skip.
test: $(STAMP)
	@require_spark=$${SHOPCASE_REQUIRE_SPARK:-$$(java -version >/dev/null 2>&1 && echo 1 || echo 0)}; \
	if [ "$$require_spark" != 1 ]; then \
	  echo "make test: Java 17+ not found, so the Spark tests and notebook 10 are skipped (install it, e.g. apt-get install openjdk-17-jre-headless)"; \
	fi; \
	echo "SHOPCASE_REQUIRE_CROSSCHECKS=1 SHOPCASE_REQUIRE_SPARK=$$require_spark $(BIN)/python -m pytest"; \
	SHOPCASE_REQUIRE_CROSSCHECKS=1 SHOPCASE_REQUIRE_SPARK=$$require_spark $(BIN)/python -m pytest

# JupyterLab refuses to start as root (as containers often run) unless told it may.
lab: $(STAMP)
	$(BIN)/jupyter lab notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

# Re-execute the committed notebooks in place on their default parameters (after changing one).
notebooks: $(STAMP)
	$(BIN)/python -m shopcase.runner refresh

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_data.py

clean:
	rm -rf build data/generated .pytest_cache .ruff_cache
