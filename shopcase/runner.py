"""Execute the notebooks with papermill: ``make run`` (into ``build/``) and ``make notebooks`` (in place).

``python -m shopcase.runner run [--build build] [--only 01 03] [-p name value ...]``
``python -m shopcase.runner refresh [--only 02]`` re-executes committed notebooks in place.
A failing cell stops the run with the notebook, the cell number and the error named. A notebook that needs
more than Python (``metadata.shopcase.requires``, e.g. ``["java", "pyspark"]`` for Spark) is skipped with one
line saying what to install when the machine lacks it. The output is one line per notebook: which, how long,
where the executed copy went.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from shopcase.paths import PROJECT_ROOT
from shopcase.summary import write_summary

NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"


KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=ERROR"]
"""Kernels log only errors: their start-up warnings (e.g. about TCP transport on loopback) are not for a reader."""


class NotebookFailed(RuntimeError):
    """A notebook cell raised; the message names the notebook, cell and error."""


def _java_works() -> bool:
    try:
        return subprocess.run(["java", "-version"], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


REQUIREMENTS: dict[str, tuple[object, str]] = {
    "java": (_java_works, "Java 17 or newer (e.g. `apt-get install openjdk-17-jre-headless`)"),
    "pyspark": (lambda: importlib.util.find_spec("pyspark") is not None, "pyspark (`make setup` installs it)"),
}
"""What a notebook may declare in ``metadata.shopcase.requires``: a probe and what to install when it fails."""


def missing_requirements(path: Path) -> list[str]:
    """What ``path`` declares it needs and this machine lacks, as install hints (empty: it can run)."""
    import nbformat

    needs = nbformat.read(path, as_version=4).metadata.get("shopcase", {}).get("requires", [])
    unknown = [n for n in needs if n not in REQUIREMENTS]
    if unknown:
        raise ValueError(f"{path.name}: unknown requirement(s) {unknown}; known: {sorted(REQUIREMENTS)}")
    return [REQUIREMENTS[n][1] for n in needs if not REQUIREMENTS[n][0]()]


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
            extra_arguments=KERNEL_ARGUMENTS,
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
        missing = missing_requirements(source)
        if missing:
            print(f"skipping {source.name}: it needs {' and '.join(missing)}", flush=True)
            continue
        params = dict(parameters or {})
        if not in_place:
            params["summary_path"] = str((figures_dir / f"{source.stem}.json").resolve())
        # In place, run into a scratch copy first: a failing cell must not overwrite the committed notebook.
        output = build / ("refresh" if in_place else "notebooks") / source.name
        started = time.perf_counter()
        execute_notebook(source, output, params)
        target = shutil.copyfile(output, source) if in_place else output
        print(f"{source.name}: {time.perf_counter() - started:.0f} s -> {target}", flush=True)
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
