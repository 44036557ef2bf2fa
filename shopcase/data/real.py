"""Loaders for real datasets, mapped to shopcase's schemas.

- ``load_online_retail``: UCI Online Retail (shipped in ``data/``), as purchase
  events plus a catalogue, with a report of every row removed in cleaning.
- ``load_cdnow`` / ``cdnow_events``: CDNOW purchases (shipped in ``data/``).
- ``load_movielens_100k``: read from a path the user gives (not redistributable).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from shopcase.paths import PROJECT_ROOT, data_dir
from shopcase.schema import (
    CART,
    CUSTOMER_ID,
    EVENT_TYPE,
    EVENTS_COLUMNS,
    ITEM_ID,
    LAUNCH_DATE,
    ORDER_ID,
    PRICE,
    PURCHASE,
    QUANTITY,
    RATING,
    SESSION_ID,
    TIMESTAMP,
    TITLE,
    UNIT_PRICE,
    USER_ID,
    VIEW,
)
from shopcase.validate import CleaningReport, validate_frame

ONLINE_RETAIL_FILE = Path("uci-online-retail") / "online_retail.csv.xz"
CDNOW_MASTER_FILE = Path("cdnow") / "CDNOW_master.txt"
CDNOW_SAMPLE_FILE = Path("cdnow") / "CDNOW_sample.txt"


@dataclass
class OnlineRetail:
    """UCI Online Retail mapped to shopcase: purchase ``events``, a ``catalogue`` and the cleaning ``report``."""

    events: pd.DataFrame
    catalogue: pd.DataFrame
    report: CleaningReport


def _existing(path: str | os.PathLike | None, default: Path) -> Path:
    resolved = Path(path) if path is not None else data_dir() / default
    if not resolved.exists():
        raise ValueError(f"dataset file not found: {resolved}")
    return resolved


def load_online_retail(path: str | os.PathLike | None = None) -> OnlineRetail:
    """Read UCI Online Retail and map it to the event schema (purchase lines only).

    Cleaning, each step counted in ``report.removed`` (nothing dropped silently):
    rows with no customer, cancellation invoices (``C...``), other rows with
    quantity <= 0, rows with unit price <= 0, duplicate invoice lines.
    Events: ``user_id`` = CustomerID (int), ``item_id`` = StockCode (str),
    ``session_id`` = ``order_id`` = InvoiceNo, ``timestamp`` = InvoiceDate,
    ``quantity`` in units, ``unit_price`` in GBP; extra column ``country``.
    Catalogue: ``item_id``, ``title`` (most frequent description), ``price``
    (median unit price) and ``launch_date`` (first sale).
    """
    raw = pd.read_csv(
        _existing(path, ONLINE_RETAIL_FILE),
        dtype={"InvoiceNo": str, "StockCode": str, "Description": str, "CustomerID": "Int64", "Country": str},
        parse_dates=["InvoiceDate"],
    )
    report = CleaningReport("UCI Online Retail", rows_in=len(raw))
    steps = [
        ("no customer id", raw["CustomerID"].isna()),
        ("cancellation invoices", raw["InvoiceNo"].str.startswith("C")),
        ("quantity <= 0 (not cancellations)", raw["Quantity"] <= 0),
        ("unit price <= 0", raw["UnitPrice"] <= 0),
    ]
    keep = pd.Series(True, index=raw.index)
    for reason, bad in steps:
        newly_bad = keep & bad.fillna(False)
        report.removed[reason] = int(newly_bad.sum())
        keep &= ~newly_bad
    clean = raw[keep]
    # Duplicates are judged on the fields an event keeps (Description is not one of them).
    event_fields = ["InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"]
    duplicated = clean.duplicated(subset=event_fields)
    report.removed["duplicate invoice lines"] = int(duplicated.sum())
    clean = clean[~duplicated]

    events = pd.DataFrame(
        {
            USER_ID: clean["CustomerID"].astype("int64").to_numpy(),
            SESSION_ID: clean["InvoiceNo"].to_numpy(),
            TIMESTAMP: clean["InvoiceDate"].to_numpy(),
            EVENT_TYPE: pd.Categorical([PURCHASE] * len(clean), categories=[VIEW, CART, PURCHASE]),
            ITEM_ID: clean["StockCode"].to_numpy(),
            QUANTITY: clean["Quantity"].astype("int64").to_numpy(),
            UNIT_PRICE: clean["UnitPrice"].astype(float).to_numpy(),
            ORDER_ID: clean["InvoiceNo"].to_numpy(),
            "country": clean["Country"].to_numpy(),
        }
    )
    events = validate_frame(events, EVENTS_COLUMNS, "Online Retail events")
    by_item = clean.groupby("StockCode", sort=True)
    catalogue = (
        pd.DataFrame(
            {
                TITLE: by_item["Description"].agg(lambda s: s.mode().iloc[0] if s.notna().any() else ""),
                PRICE: by_item["UnitPrice"].median(),
                LAUNCH_DATE: by_item["InvoiceDate"].min(),
            }
        )
        .rename_axis(ITEM_ID)
        .reset_index()
    )
    return OnlineRetail(events=events, catalogue=catalogue, report=report)


def load_cdnow(path: str | os.PathLike | None = None, sample: bool = False) -> pd.DataFrame:
    """Read CDNOW purchases: ``customer_id`` (int), ``date``, ``quantity`` (CDs), ``revenue`` (USD).

    ``sample=True`` reads the 2,357-customer 1/10 sample of Fader, Hardie & Lee
    (2005) with its own customer ids; the default is the 23,570-customer master file.
    One row per purchase record as in the file (a customer can have several on one day).
    """
    if sample:
        file = _existing(path, CDNOW_SAMPLE_FILE)
        names = ["master_id", CUSTOMER_ID, "date", QUANTITY, "revenue"]
        frame = pd.read_csv(file, sep=r"\s+", header=None, names=names, dtype={"date": str})
        frame = frame.drop(columns="master_id")
    else:
        file = _existing(path, CDNOW_MASTER_FILE)
        names = [CUSTOMER_ID, "date", QUANTITY, "revenue"]
        frame = pd.read_csv(file, sep=r"\s+", header=0, names=names, dtype={"date": str})
    frame["date"] = pd.to_datetime(frame["date"], format="%Y%m%d")
    frame[CUSTOMER_ID] = frame[CUSTOMER_ID].astype("int64")
    return frame


def cdnow_events(purchases: pd.DataFrame) -> pd.DataFrame:
    """Map ``load_cdnow`` output to the event schema (one purchase line per record).

    CDNOW has no item ids, so ``item_id`` is the constant ``"cd"``; ``quantity``
    is the number of CDs and ``unit_price`` = revenue / CDs (0 for the few
    zero-CD records). Each record becomes its own order (``order_id`` = row number).
    """
    n_cds = purchases[QUANTITY].to_numpy()
    revenue = purchases["revenue"].to_numpy(dtype=float)
    unit_price = np.divide(revenue, n_cds, out=np.zeros_like(revenue), where=n_cds > 0)
    order_id = np.arange(len(purchases))
    return pd.DataFrame(
        {
            USER_ID: purchases[CUSTOMER_ID].to_numpy(),
            SESSION_ID: order_id,
            TIMESTAMP: purchases["date"].to_numpy(),
            EVENT_TYPE: pd.Categorical([PURCHASE] * len(purchases), categories=[VIEW, CART, PURCHASE]),
            ITEM_ID: "cd",
            QUANTITY: n_cds,
            UNIT_PRICE: unit_price,
            ORDER_ID: order_id,
        }
    )


def movielens_100k_dir(path: str | os.PathLike | None = None) -> Path | None:
    """The MovieLens-100k folder: ``path``, else ``$SHOPCASE_ML100K`` or ``../shared/data/movielens-100k``.

    Returns None if the folder has no ``u.data``.
    """
    if path is not None:  # an explicit folder is the only place looked at
        candidates = [path]
    else:
        candidates = [os.environ.get("SHOPCASE_ML100K"), PROJECT_ROOT.parent / "shared" / "data" / "movielens-100k"]
    for candidate in candidates:
        if candidate is not None and (Path(candidate) / "u.data").exists():
            return Path(candidate)
    return None


def load_movielens_100k(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """Read MovieLens-100k ``u.data`` as ``user_id, item_id, rating, timestamp``; ``ValueError`` if not found."""
    folder = movielens_100k_dir(path)
    if folder is None:
        raise ValueError(
            "MovieLens-100k not found: pass its folder, or set SHOPCASE_ML100K (its licence forbids shipping it)"
        )
    frame = pd.read_csv(folder / "u.data", sep="\t", header=None, names=[USER_ID, ITEM_ID, RATING, TIMESTAMP])
    frame[TIMESTAMP] = pd.to_datetime(frame[TIMESTAMP], unit="s")
    return frame
