"""The one style every shopcase plot uses (seaborn's whitegrid, notebook context)."""

import seaborn as sns


def apply_style() -> None:
    """Set the shared theme; every plot module calls it on import, so any plot looks the same."""
    sns.set_theme(style="whitegrid", context="notebook")
