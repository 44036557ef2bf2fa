"""Execute the notebooks with papermill: ``make run`` (into ``build/``) and ``make notebooks`` (in place).

``python -m shopcase.runner run [--build build] [--only 01 03] [-p name value ...]``
``python -m shopcase.runner refresh [--only 02]`` re-executes committed notebooks in place.
A failing cell stops the run with the notebook, the cell number and the error named.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from shopcase.paths import PROJECT_ROOT
from shopcase.summary import write_summary

NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"


class NotebookFailed(RuntimeError):
    """A notebook cell raised; the message names the notebook, cell and error."""


def list_notebooks(folder: Path = NOTEBOOKS_DIR, only: Iterable[str] | None = None) -> list[Path]:
    """Numbered notebooks (``NN_*.ipynb``) in order; ``only`` keeps those whose name starts with a prefix."""
    notebooks = sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))
    if only:
        prefixes = tuple(only)
        notebooks = [p for p in notebooks if p.name.startswith(prefixes)]
    if not notebooks:
        raise ValueError(f"no notebooks found in {folder}" + (f" matching {list(only)}" if only else ""))
    return notebooks


def execute_notebook(source: Path, output: Path, parameters: dict | None = None) -> Path:
    """Run ``source`` with papermill (kernel ``python3``, working directory = its folder) into ``output``."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        papermill.execute_notebook(
            str(source),
            str(output),
            parameters=parameters or {},
            kernel_name="python3",
            cwd=str(source.parent),
            progress_bar=False,
        )
    except PapermillExecutionError as exc:
        raise NotebookFailed(
            f"{source.name}: cell {exc.exec_count} failed with {exc.ename}: {exc.evalue}"
            f" (executed copy with the traceback: {output})"
        ) from exc
    return output


def run_all(
    build: Path,
    only: Iterable[str] | None = None,
    parameters: dict | None = None,
    in_place: bool = False,
    notebooks_dir: Path = NOTEBOOKS_DIR,
) -> list[Path]:
    """Execute every notebook; write executed copies (or overwrite sources) and ``build/summary.md``."""
    figures_dir = build / "figures"
    done = []
    for source in list_notebooks(notebooks_dir, only=only):
        params = dict(parameters or {})
        if not in_place:
            params["summary_path"] = str((figures_dir / f"{source.stem}.json").resolve())
        # In place, run into a scratch copy first: a failing cell must not overwrite the committed notebook.
        output = build / ("refresh" if in_place else "notebooks") / source.name
        started = time.perf_counter()
        print(f"running {source.name} ...", flush=True)
        execute_notebook(source, output, params)
        target = shutil.copyfile(output, source) if in_place else output
        print(f"  done in {time.perf_counter() - started:.0f} s -> {target}", flush=True)
        done.append(Path(target))
    if not in_place:
        summary = write_summary(
            figures_dir,
            build / "summary.md",
            header="Written by `make run` from each notebook's last cell, on default parameters.",
        )
        print(f"summary: {summary}")
    return done


def _parse_value(text: str) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shopcase.runner", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["run", "refresh"])
    parser.add_argument("--build", type=Path, default=PROJECT_ROOT / "build")
    parser.add_argument("--only", nargs="*", help="notebook name prefixes, e.g. 01 03")
    parser.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    args = parser.parse_args(argv)
    parameters = {name: _parse_value(value) for name, value in args.parameter}
    try:
        run_all(args.build, only=args.only, parameters=parameters, in_place=args.command == "refresh")
    except NotebookFailed as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
