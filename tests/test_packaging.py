"""The project's promises about itself: dependency lists in step, nothing generated tracked, a version."""

import re
import tomllib
from pathlib import Path

import yaml

import shopcase

ROOT = Path(__file__).resolve().parents[1]
COURSE_ONLY = {"jupyterlab", "ipykernel", "nbval", "papermill"}
"""What only the notebooks need: a user who installs shopcase to serve models must not pull these."""


def _requirement(text: str) -> tuple[str, str]:
    name, spec = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", text).groups()
    return name.lower().replace("_", "-"), spec.replace(" ", "")


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _all_requirements(project: dict) -> list[str]:
    return project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]


def test_environment_yml_lists_the_same_packages_and_bounds_as_pyproject():
    project = _project()
    pyproject = dict(map(_requirement, _all_requirements(project)))
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    conda = dict(_requirement(d) for d in environment if isinstance(d, str))
    for entry in environment:
        if isinstance(entry, dict):
            conda.update(_requirement(d) for d in entry.get("pip", []))
    assert conda.pop("python") == ">=3.11" and project["requires-python"] == ">=3.11"
    conda.pop("pip")
    assert conda == pyproject


def test_the_library_does_not_pull_the_course_tools():
    runtime = {_requirement(r)[0] for r in _project()["dependencies"]}
    assert not runtime & COURSE_ONLY
    assert COURSE_ONLY <= {_requirement(r)[0] for r in _project()["optional-dependencies"]["course"]}


def test_the_makefile_installs_every_extra():
    extras = re.search(r"^EXTRAS\s*:=\s*(\S+)", (ROOT / "Makefile").read_text(), re.M).group(1).split(",")
    assert sorted(extras) == sorted(_project()["optional-dependencies"])


def test_every_dependency_has_a_tested_lower_bound():
    for requirement in _all_requirements(_project()):
        assert ">=" in requirement, requirement


def test_version_is_exposed():
    assert re.fullmatch(r"\d+\.\d+\.\d+", shopcase.__version__)


def test_gitignore_keeps_generated_files_out():
    ignored = (ROOT / ".gitignore").read_text().split()
    for entry in (".venv", "build/", "data/generated/", "__pycache__/", ".ipynb_checkpoints/"):
        assert entry in ignored
