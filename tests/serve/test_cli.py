"""The shopcase command: every subcommand's happy path, --help, and one-line exit-2 errors without tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from shopcase.serve import load, read_batch, read_manifest
from shopcase.serve.cli import MODELS, build_parser, main

AS_OF = "2023-10-01"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """A generated shop and trained artefacts (recommender, churn, search), made through the CLI itself."""
    root = tmp_path_factory.mktemp("cli")
    assert main(["generate", "--out", str(root / "shop"), "--users", "400", "--items", "150", "--seed", "4"]) == 0
    for model, extra in [
        ("itemknn", ["--set", "k_neighbors=40"]),
        ("churn", ["--set", "n_estimators=20"]),
        ("search", []),
    ]:
        argv = ["train", "--shop", str(root / "shop"), "--model", model, "--as-of", AS_OF, "--out", str(root / "art")]
        assert main(argv + extra) == 0
    return root


def test_generate_and_train_write_a_shop_and_verified_artefacts(workspace):
    assert (workspace / "shop" / "config.json").is_file()
    manifest = read_manifest(workspace / "art" / "recommender")
    assert manifest.model_class.endswith("ItemKNN") and manifest.parameters["k_neighbors"] == 40
    assert manifest.created_at.startswith(AS_OF) and manifest.metadata["as_of"].startswith(AS_OF)
    churn = read_manifest(workspace / "art" / "churn")
    assert churn.metadata["horizon_days"] == 90 and churn.metadata["feature_columns"]
    assert read_manifest(workspace / "art" / "search").model_class.endswith("SearchIndex")


def test_training_twice_on_the_same_data_gives_the_same_artefact(workspace, tmp_path):
    argv = ["train", "--shop", str(workspace / "shop"), "--model", "itemknn", "--as-of", AS_OF]
    assert main([*argv, "--out", str(tmp_path), "--set", "k_neighbors=40"]) == 0
    assert (
        read_manifest(tmp_path / "recommender").fingerprint
        == read_manifest(workspace / "art" / "recommender").fingerprint
    )


def test_recommend_prints_lists_and_flags_cold_start(workspace, capsys):
    model = load(workspace / "art" / "recommender")
    known = int(model.user_ids_[0])
    assert main(["recommend", "--artifact", str(workspace / "art" / "recommender"), str(known), "987654", "-n", "3",
                 "--format", "csv"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    frame = pd.read_csv(__import__("io").StringIO(out))
    assert list(frame.columns) == ["user_id", "item_id", "score", "rank", "cold_start"]
    assert frame.groupby("user_id")["cold_start"].first().to_dict() == {known: False, 987654: True}
    expected = model.recommend([known], n=3)
    assert frame[frame.user_id == known]["item_id"].tolist() == expected["item_id"].tolist()


def test_churn_score_writes_every_customer(workspace, tmp_path, capsys):
    out = tmp_path / "scores.csv"
    argv = ["churn-score", "--artifact", str(workspace / "art" / "churn"), "--shop", str(workspace / "shop")]
    assert main([*argv, "--as-of", "2023-11-15", "--out", str(out)]) == 0
    scores = pd.read_csv(out)
    assert set(scores["risk_segment"]) <= {"LOW", "MEDIUM", "HIGH"} and scores["customer_id"].is_unique
    assert "HIGH" in capsys.readouterr().out


@pytest.mark.parametrize(("model", "kind"), [("churn-bgnbd", "BGNBDClassifier"), ("churn-rule", "BinnedRateRule")])
def test_every_churn_classifier_trains_and_scores(model, kind, workspace, tmp_path):
    from shopcase.churn import customer_features
    from shopcase.data.store import load_shop

    argv = ["train", "--shop", str(workspace / "shop"), "--model", model, "--as-of", AS_OF, "--horizon", "60"]
    assert main([*argv, "--out", str(tmp_path)]) == 0
    fitted = load(tmp_path / "churn")
    assert type(fitted).__name__ == kind and read_manifest(tmp_path / "churn").metadata["horizon_days"] == 60
    out = tmp_path / "scores.csv"
    argv = ["churn-score", "--artifact", str(tmp_path / "churn"), "--shop", str(workspace / "shop")]
    assert main([*argv, "--as-of", "2023-11-15", "--out", str(out)]) == 0
    scores = pd.read_csv(out)
    shop = load_shop(workspace / "shop")
    buyers = customer_features(shop.events, "2023-11-15").query("total_orders > 0").index
    assert scores["customer_id"].tolist() == buyers.tolist()  # the churn population: every customer who bought
    assert scores["churn_probability"].between(0, 1).all() and scores["churn_probability"].nunique() > 1


def test_batch_applies_rules_and_resumes(workspace, tmp_path, capsys):
    argv = ["batch", "--artifact", str(workspace / "art" / "recommender"), "--out", str(tmp_path / "out"), "-n", "5",
            "--shop", str(workspace / "shop"), "--as-of", "2023-11-01", "--max-per-category", "2",
            "--ban", "1", "2", "--pin", "7", "--chunk-size", "100"]  # fmt: skip
    assert main(argv) == 0
    first = capsys.readouterr()
    assert "written, 0 resumed" in first.out and "batch" in first.err  # the progress bar is on stderr
    lists = read_batch(tmp_path / "out")
    assert not lists["item_id"].isin([1, 2]).any()
    assert (lists[lists["rank"] == 1]["item_id"] == 7).mean() > 0.9  # pinned first (unless already bought)
    assert main(argv) == 0
    assert "(0 written, " in capsys.readouterr().out  # everything resumed


def test_evaluate_prints_a_metric_table_with_the_baseline(workspace, capsys):
    argv = ["evaluate", "--shop", str(workspace / "shop"), "--model", "itemknn", "--cutoff", AS_OF, "-k", "5"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "popularity (baseline)" in out and "itemknn" in out and "ndcg_at_k" in out


def test_run_notebooks_passes_its_arguments_to_the_runner(monkeypatch):
    from shopcase import runner

    seen = []
    monkeypatch.setattr(runner, "main", lambda argv: seen.append(argv) or 0)
    assert main(["run-notebooks", "--only", "01", "-p", "n_users", "500"]) == 0
    assert seen == [["run", "--only", "01", "-p", "n_users", "500"]]


@pytest.mark.parametrize("command", ["", *sorted(build_parser()._subparsers._group_actions[0].choices)])
def test_every_subcommand_has_help(command, capsys):
    assert main([command, "--help"] if command else ["--help"]) == 0
    assert "usage: shopcase" in capsys.readouterr().out


def _one_line_error(capsys, argv, pattern):
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert pattern in err, err


@pytest.mark.parametrize(
    ("argv", "pattern"),
    [
        (["train", "--shop", "{shop}", "--model", "deep-magic", "--as-of", AS_OF, "--out", "{tmp}"], "invalid choice"),
        (["train", "--shop", "{shop}", "--model", "ease", "--as-of", "2023-02-30", "--out", "{tmp}"], "not a date"),
        (["train", "--shop", "{shop}", "--model", "ease", "--as-of", "1990-01-01", "--out", "{tmp}"], "no events"),
        (
            ["train", "--shop", "{shop}", "--model", "ease", "--as-of", AS_OF, "--out", "{tmp}", "--set", "l3=1"],
            "no param",
        ),
        (["train", "--shop", "{shop}", "--model", "ease", "--as-of", AS_OF, "--out", "{tmp}", "--set", "l2=-1"], "l2"),
        (["train", "--shop", "{tmp}/none", "--model", "ease", "--as-of", AS_OF, "--out", "{tmp}"], "not a shop"),
        (["recommend", "--artifact", "{tmp}/none", "1"], "no model artefact here"),
        (["recommend", "--artifact", "{art}/churn", "1"], "not a recommender"),
        (["recommend", "--artifact", "{art}/recommender", "1", "-n", "0"], "must be at least 1"),
        (
            ["churn-score", "--artifact", "{art}/recommender", "--shop", "{shop}", "--as-of", AS_OF],
            "not a churn classifier",
        ),
        (["batch", "--artifact", "{art}/recommender", "--out", "{tmp}/b", "--max-per-category", "2"], "needs --shop"),
        (["serve", "--artifacts", "{tmp}/none"], "no artefacts directory"),
        (["generate", "--out", "{tmp}/g", "--users", "ten"], "not a whole number"),
        (["generate", "--out", "{tmp}/g", "--items", "3"], "n_items"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_user_errors_exit_2_with_one_line(argv, pattern, workspace, tmp_path, capsys):
    fill = {"shop": str(workspace / "shop"), "art": str(workspace / "art"), "tmp": str(tmp_path)}
    argv = [a.format(**fill) for a in argv]
    _one_line_error(capsys, argv, pattern)


def test_a_tampered_artefact_is_one_line_naming_the_file(workspace, tmp_path, capsys):
    import shutil

    copy = Path(shutil.copytree(workspace / "art" / "recommender", tmp_path / "rec"))
    data = bytearray((copy / "arrays.npz").read_bytes())
    data[len(data) // 2] ^= 1
    (copy / "arrays.npz").write_bytes(bytes(data))
    _one_line_error(capsys, ["recommend", "--artifact", str(copy), "1"], "arrays.npz: tampered or truncated")


def test_the_console_script_is_installed_and_never_shows_a_traceback(tmp_path):
    script = Path(sys.executable).with_name("shopcase")
    assert script.exists(), "pip install -e . installs the `shopcase` console script ([project.scripts])"
    done = subprocess.run([str(script), "recommend", "--artifact", str(tmp_path / "none"), "1"],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert set(MODELS) >= {"itemknn", "churn", "search"}
