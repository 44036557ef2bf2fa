"""Notebooks as tests.

Every notebook runs here with papermill on the small parameters it declares in its metadata
(``metadata.shopcase.test_parameters``: the smallest shop it accepts, another seed), and its summary
figures must be written. nbval, run by pytest over ``notebooks/`` (see pyproject's addopts), re-executes
the committed notebooks and their worked solutions (``notebooks/solutions/``) on their defaults and
compares every cell marked ``# NBVAL_CHECK_OUTPUT`` with its stored output; a solution whose answer no
longer passes its checker raises there (``Feedback.require``).
"""

import json
import os

import nbformat
import pytest

from shopcase.runner import NOTEBOOKS_DIR, execute_notebook, list_notebooks, missing_requirements

SOLUTIONS_DIR = NOTEBOOKS_DIR / "solutions"
NOTEBOOKS = list_notebooks()


def _code_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [c for c in nb.cells if c.cell_type == "code"]


def _has_exercises_section(nb: nbformat.NotebookNode) -> bool:
    headings = (
        line.lstrip("#").strip().lower()
        for c in nb.cells
        if c.cell_type == "markdown"
        for line in c.source.splitlines()
        if line.startswith("#")
    )
    return any(h.startswith("exercises") for h in headings)


def solution_path(path):
    """Where the worked solutions of a notebook live."""
    return SOLUTIONS_DIR / f"{path.stem}_solutions.ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_well_formed(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata["kernelspec"]["language"] == "python"
    code = _code_cells(nb)
    assert "parameters" in code[0].metadata.get("tags", []), "the first code cell must be tagged 'parameters'"
    assert "summary_path = None" in code[0].source
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    assert all(c.get("execution_count") for c in code), "commit notebooks executed, with outputs (make notebooks)"
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors
    assert any("# NBVAL_CHECK_OUTPUT" in c.source for c in code), "check at least one headline figure with nbval"
    assert "record_figures(" in code[-1].source, "the last cell records the headline figures"
    assert isinstance(nb.metadata.get("shopcase", {}).get("test_parameters"), dict), (
        "declare the small parameters the tests run it with in metadata.shopcase.test_parameters"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_has_exercises_and_worked_solutions(path):
    nb = nbformat.read(path, as_version=4)
    assert _has_exercises_section(nb), "end with an '## Exercises' section checked by shopcase.exercises"
    assert any("shopcase.exercises" in c.source for c in _code_cells(nb)), "exercises are checked by a checker"
    solutions = solution_path(path)
    assert solutions.exists(), f"worked solutions go in {solutions.relative_to(NOTEBOOKS_DIR.parent)}"
    solved = nbformat.read(solutions, as_version=4)
    assert "parameters" in _code_cells(solved)[0].metadata.get("tags", [])
    assert any(".require()" in c.source for c in _code_cells(solved)), "each solution calls .require()"
    assert all(c.get("execution_count") for c in _code_cells(solved)), "commit solutions executed"


def test_every_solution_belongs_to_a_notebook():
    stems = {solution_path(p).name for p in NOTEBOOKS}
    assert {p.name for p in SOLUTIONS_DIR.glob("*.ipynb")} <= stems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_on_small_parameters(path, tmp_path):
    missing = missing_requirements(path)
    if missing and os.environ.get("SHOPCASE_REQUIRE_SPARK") != "1":
        pytest.skip(f"{path.name} needs {' and '.join(missing)}")
    summary = tmp_path / "figures.json"
    small = nbformat.read(path, as_version=4).metadata["shopcase"]["test_parameters"]
    execute_notebook(path, tmp_path / path.name, {**small, "summary_path": str(summary)})
    figures = json.loads(summary.read_text())
    assert figures["notebook"] == path.stem and figures["figures"]
