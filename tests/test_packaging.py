"""The project's promises about itself: dependency lists in step, nothing generated tracked, a version."""

import re
import tomllib
from pathlib import Path

import yaml

import shopcase

ROOT = Path(__file__).resolve().parents[1]


def _requirement(text: str) -> tuple[str, str]:
    name, spec = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", text).groups()
    return name.lower().replace("_", "-"), spec.replace(" ", "")


def test_environment_yml_lists_the_same_packages_and_bounds_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pyproject = dict(map(_requirement, project["dependencies"] + project["optional-dependencies"]["dev"]))
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    conda = dict(_requirement(d) for d in environment if isinstance(d, str))
    for entry in environment:
        if isinstance(entry, dict):
            conda.update(_requirement(d) for d in entry.get("pip", []))
    assert conda.pop("python") == ">=3.11" and project["requires-python"] == ">=3.11"
    conda.pop("pip")
    assert conda == pyproject


def test_every_dependency_has_a_tested_lower_bound():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"] + project["optional-dependencies"]["dev"]:
        assert ">=" in requirement, requirement


def test_version_is_exposed():
    assert re.fullmatch(r"\d+\.\d+\.\d+", shopcase.__version__)


def test_gitignore_keeps_generated_files_out():
    ignored = (ROOT / ".gitignore").read_text().split()
    for entry in (".venv/", "build/", "data/generated/", "__pycache__/", ".ipynb_checkpoints/"):
        assert entry in ignored
