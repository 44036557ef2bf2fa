import json

import nbformat
import pytest

from shopcase.runner import NotebookFailed, execute_notebook, list_notebooks, run_all
from shopcase.summary import record_figures, write_summary


def test_record_figures_writes_json_only_when_asked(tmp_path):
    table = record_figures("01_x", {"events": 10, "share": 0.25}, None)
    assert table["figure"].tolist() == ["events", "share"]
    assert not list(tmp_path.iterdir())
    path = tmp_path / "figures" / "01_x.json"
    record_figures("01_x", {"events": 10, "share": 0.25}, path)
    assert json.loads(path.read_text()) == {"notebook": "01_x", "figures": {"events": 10, "share": 0.25}}
    with pytest.raises(ValueError, match="figures is empty"):
        record_figures("01_x", {}, None)


def test_summary_gathers_every_notebook(tmp_path):
    record_figures("01_a", {"events": 1234567}, tmp_path / "01_a.json")
    record_figures("02_b", {"ndcg@10": 0.123456}, tmp_path / "02_b.json")
    text = write_summary(tmp_path, tmp_path / "summary.md").read_text()
    assert "## 01_a" in text and "| events | 1,234,567 |" in text
    assert "## 02_b" in text and "| ndcg@10 | 0.1235 |" in text


def test_a_failing_cell_is_named(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("raise ValueError('broken on purpose')")]
    source = tmp_path / "99_broken.ipynb"
    nbformat.write(nb, source)
    with pytest.raises(NotebookFailed, match=r"99_broken.ipynb: cell 2 failed with ValueError: broken on purpose"):
        execute_notebook(source, tmp_path / "out" / "99_broken.ipynb")


def test_a_failed_refresh_leaves_the_committed_notebook_untouched(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("raise RuntimeError('no')")]
    source = folder / "01_fails.ipynb"
    nbformat.write(nb, source)
    before = source.read_text()
    with pytest.raises(NotebookFailed, match="01_fails.ipynb: cell 1"):
        run_all(tmp_path / "build", in_place=True, notebooks_dir=folder)
    assert source.read_text() == before


def test_list_notebooks_is_ordered_and_filters():
    names = [p.name for p in list_notebooks()]
    assert names == sorted(names) and names[0].startswith("01_")
    assert [p.name for p in list_notebooks(only=["01"])] == [names[0]]
    with pytest.raises(ValueError, match="no notebooks found"):
        list_notebooks(only=["77"])


def test_a_notebook_needing_what_the_machine_lacks_is_skipped_with_one_line(tmp_path, capsys, monkeypatch):
    from shopcase import runner

    folder = tmp_path / "notebooks"
    folder.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["shopcase"] = {"requires": ["java"]}
    nb.cells = [nbformat.v4.new_code_cell("raise RuntimeError('must not run')")]
    nbformat.write(nb, folder / "10_needs_java.ipynb")
    monkeypatch.setitem(runner.REQUIREMENTS, "java", (lambda: False, "Java 17"))
    assert run_all(tmp_path / "build", notebooks_dir=folder) == []
    assert capsys.readouterr().out.splitlines()[0] == "skipping 10_needs_java.ipynb: it needs Java 17"
    nb.metadata["shopcase"] = {"requires": ["cobol"]}
    nbformat.write(nb, folder / "10_needs_java.ipynb")
    with pytest.raises(ValueError, match="unknown requirement"):
        run_all(tmp_path / "build", notebooks_dir=folder)


def test_a_clean_run_prints_only_which_notebook_how_long_and_where(tmp_path, capfd, caplog):
    """``make run`` output: one line per notebook and the summary; no kernel or papermill chatter (the kernel's
    "running over TCP without encryption" warning went to the terminal before KERNEL_ARGUMENTS silenced it)."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    parameters = nbformat.v4.new_code_cell("summary_path = None")
    parameters.metadata["tags"] = ["parameters"]
    nb.cells = [
        parameters,
        nbformat.v4.new_code_cell(
            "from shopcase.summary import record_figures\nrecord_figures('01_quiet', {'answer': 42}, summary_path)"
        ),
    ]
    nbformat.write(nb, folder / "01_quiet.ipynb")
    with caplog.at_level("WARNING"):
        run_all(tmp_path / "build", notebooks_dir=folder)
    out, err = capfd.readouterr()
    lines = out.splitlines()
    assert len(lines) == 2, out
    assert lines[0].startswith("01_quiet.ipynb: ") and lines[0].endswith(
        str(tmp_path / "build/notebooks/01_quiet.ipynb")
    )
    assert lines[1] == f"summary: {tmp_path / 'build/summary.md'}"
    assert err == "" and not caplog.records, err + str(caplog.records)
