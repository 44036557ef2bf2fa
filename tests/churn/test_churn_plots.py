"""The churn plots say what they show: titles, one row per date, a legend only for bars drawn."""

import matplotlib.pyplot as plt
import pandas as pd

from shopcase import plots


def test_timeline_has_a_title_and_a_row_per_date():
    fig = plots.churn_timeline("2023-01-01", "2023-10-01", 90, "2024-01-01", ["2023-07-03", "2023-06-03"])
    ax = fig.axes[0]
    assert ax.get_title() and ax.get_xlabel() == "date"
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["training: as_of 2023-06-03", "training: as_of 2023-07-03", "test: as_of 2023-10-01"]
    plt.close(fig)


def test_importance_legend_lists_only_the_groups_shown_and_explains_the_error_bars():
    table = pd.DataFrame(
        {
            "feature": ["a", "b", "c", "d"],
            "group": ["rfm", "bgnbd", "rfm", "trend"],
            "importance_mean": [0.04, 0.03, 0.01, 0.0],
            "importance_std": [0.01, 0.01, 0.005, 0.001],
        }
    )
    fig = plots.importance(table, top=3, n_repeats=7)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend == ["rfm", "bgnbd"]  # "trend" has no bar among the top 3
    caption = " ".join(t.get_text() for t in fig.texts)
    assert "7 shuffles" in caption and "standard deviation" in caption
    plt.close(fig)


def test_differences_marks_real_gaps():
    table = pd.DataFrame(
        {
            "method": ["x", "y"],
            "metric": ["roc_auc", "roc_auc"],
            "difference": [0.05, 0.001],
            "ci_low": [0.02, -0.01],
            "ci_high": [0.08, 0.012],
            "verdict": ["real", "within noise"],
        }
    )
    fig = plots.differences(table, reference="the model")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["y", "x"]
    assert "the model minus method" in ax.get_xlabel()
    plt.close(fig)
