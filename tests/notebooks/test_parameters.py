"""Every notebook's parameters cell, read the way papermill and a reader read it.

* Each parameter is one assignment with a comment line above it (a run of parameters may share one comment),
  and no line carries an inline comment: papermill warns "Unable to parse line ..." on a comment holding an
  ``=`` and reads an inline comment as the parameter's help text.
* ``metadata.shopcase.test_parameters`` (the small run of ``test_notebooks.py``) only names parameters the
  cell has, uses another seed than the default, and a small shop.
* README.md's "Notebook parameters" table lists every parameter with its default and meaning (the comment
  above it), so the table and the notebooks cannot drift apart; a failure prints the exact rows to add.
"""

from __future__ import annotations

import ast
import io
import logging
import re
import tokenize
from dataclasses import dataclass

import nbformat
import papermill
import pytest

from shopcase.paths import PROJECT_ROOT
from shopcase.runner import list_notebooks

NOTEBOOKS = list_notebooks()
README = PROJECT_ROOT / "README.md"
TABLE_HEADING = "## Notebook parameters"
NOT_IN_TABLE = {"summary_path"}
"""Set by ``make run`` in every notebook, described once above the table."""
LARGEST_TEST_SHOP = {"n_users": 1_000, "n_items": 500}


@dataclass(frozen=True)
class Parameter:
    notebook: str
    name: str
    default: str
    meaning: str

    def row(self) -> str:
        meaning = self.meaning.replace("|", "\\|")
        return f"| {self.notebook} | `{self.name}` | `{self.default}` | {meaning} |"


def _cell(path) -> str:
    nb = nbformat.read(path, as_version=4)
    return next(c for c in nb.cells if c.cell_type == "code").source


def _inline_comments(source: str) -> list[str]:
    """Lines where a comment follows code."""
    found, code_lines = [], set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT and token.start[0] in code_lines:
            found.append(token.line.rstrip())
        elif token.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
            code_lines.update(range(token.start[0], token.end[0] + 1))
    return found


def parameters(path) -> list[Parameter]:
    """The parameters of a notebook's first code cell, in order, each with its default and its comment."""
    source = _cell(path)
    lines = source.splitlines()
    result: list[Parameter] = []
    previous_end = 0
    for node in ast.parse(source).body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            raise AssertionError(f"{path.name}: the parameters cell may only assign names, got: {ast.unparse(node)}")
        comment, line = [], node.lineno - 2
        while line >= 0 and lines[line].strip().startswith("#"):
            comment.insert(0, lines[line].strip().lstrip("#").strip())
            line -= 1
        if comment:
            meaning = " ".join(comment)
        elif node.targets[0].id in NOT_IN_TABLE:
            meaning = ""
        elif result and previous_end == node.lineno - 1:
            meaning = result[-1].meaning  # one comment above a run of parameters describes the run
        else:
            raise AssertionError(f"{path.name}: parameter {node.targets[0].id!r} needs a comment line above it")
        default = " ".join(ast.get_source_segment(source, node.value).split())
        result.append(Parameter(path.stem[:2], node.targets[0].id, default, meaning))
        previous_end = node.end_lineno
    return result


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_parameters_cell_has_a_comment_line_above_each_parameter_and_no_inline_comments(path):
    assert not _inline_comments(_cell(path)), f"{path.name}: move these comments onto their own line above"
    assert [p.name for p in parameters(path)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_papermill_reads_every_parameter_without_a_warning(path, caplog):
    with caplog.at_level(logging.WARNING, logger="papermill"):
        inspected = papermill.inspect_notebook(str(path))
    assert not [r.getMessage() for r in caplog.records if r.name.startswith("papermill")]
    assert list(inspected) == [p.name for p in parameters(path)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_small_run_uses_known_parameters_another_seed_and_a_small_shop(path):
    small = nbformat.read(path, as_version=4).metadata["shopcase"]["test_parameters"]
    defaults = {p.name: ast.literal_eval(p.default) for p in parameters(path) if p.name != "summary_path"}
    unknown = sorted(set(small) - set(defaults))
    assert not unknown, f"{path.name}: test_parameters names parameters the notebook does not have: {unknown}"
    seeds = [name for name in defaults if name == "seed" or name.endswith("_seed")]
    if seeds:
        assert any(name in small and small[name] != defaults[name] for name in seeds), (
            f"{path.name}: test_parameters must run another seed ({', '.join(seeds)}), not the default"
        )
    for name, largest in LARGEST_TEST_SHOP.items():
        if name in defaults:
            assert small.get(name, defaults[name]) <= largest, f"{path.name}: test with a small shop ({name})"


def _readme_rows() -> set[str]:
    text = README.read_text()
    assert TABLE_HEADING in text, f"README.md needs a '{TABLE_HEADING}' section with the parameter table"
    section = text.split(TABLE_HEADING, 1)[1].split("\n## ", 1)[0]
    return {line.strip() for line in section.splitlines() if re.match(r"^\|\s*\d\d\s*\|", line.strip())}


def test_readme_parameter_table_matches_every_notebook():
    expected = [p.row() for path in NOTEBOOKS for p in parameters(path) if p.name not in NOT_IN_TABLE]
    listed = _readme_rows()
    missing = [row for row in expected if row not in listed]
    stale = sorted(listed - set(expected))
    message = []
    if missing:
        message.append(f"add these rows to the table under '{TABLE_HEADING}' in README.md:\n" + "\n".join(missing))
    if stale:
        message.append(
            "remove these rows (no notebook has them, or their default or comment changed):\n" + "\n".join(stale)
        )
    assert not message, "\n\n".join(message)
