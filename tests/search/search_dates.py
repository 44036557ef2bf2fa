"""The dates the search tests split their simulated log at (a module, not conftest: tests import it)."""

TRAIN_START, TEST_START = "2023-07-01", "2023-10-01"
