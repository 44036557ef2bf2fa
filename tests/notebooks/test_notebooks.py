"""Notebooks as tests.

Every notebook runs here with papermill on small parameters (so the suite stays quick), and its
summary figures must be written. nbval, run by pytest over `notebooks/` (see pyproject's addopts),
re-executes the committed notebooks on their defaults and compares every cell marked
`# NBVAL_CHECK_OUTPUT` with its stored output.
"""

import json

import nbformat
import pytest

from shopcase.runner import execute_notebook, list_notebooks

SMALL_PARAMETERS = {
    "01_shop_data.ipynb": {"n_users": 500, "n_items": 300, "seed": 1},
    "02_collaborative_filtering.ipynb": {
        "n_users": 800,
        "n_items": 300,
        "seed": 1,
        "curve_users": [100, 200],
        "k_grid": [10, 50],
        "shrink_grid": [0, 10],
    },
    "03_content_and_hybrid.ipynb": {"n_users": 800, "n_items": 300, "seed": 1, "content_weights": [0.0, 0.5]},
    "04_evaluation.ipynb": {"n_users": 800, "n_items": 300, "seed": 1, "ks": [5, 10]},
    "05_churn.ipynb": {"n_users": 800, "n_items": 300, "seed": 1, "n_origins": 2, "cdnow_folds": 2},
}
"""Small parameters per notebook; a new notebook must add its entry here."""

NOTEBOOKS = list_notebooks()


def test_every_notebook_has_small_parameters():
    assert sorted(SMALL_PARAMETERS) == sorted(p.name for p in NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_well_formed(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata["kernelspec"]["language"] == "python"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", []), "the first code cell must be tagged 'parameters'"
    assert "summary_path = None" in code[0].source
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    assert all(c.get("execution_count") for c in code), "commit notebooks executed, with outputs (make notebooks)"
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors
    assert any("# NBVAL_CHECK_OUTPUT" in c.source for c in code), "check at least one headline figure with nbval"
    assert "record_figures(" in code[-1].source, "the last cell records the headline figures"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_on_small_parameters(path, tmp_path):
    summary = tmp_path / "figures.json"
    parameters = {**SMALL_PARAMETERS[path.name], "summary_path": str(summary)}
    execute_notebook(path, tmp_path / path.name, parameters)
    figures = json.loads(summary.read_text())
    assert figures["notebook"] == path.stem and figures["figures"]
