"""Assignment as production systems do it: a salted hash of the user id picks the arm.

The same user always lands in the same arm of an experiment (the salt names the experiment), a new salt
reshuffles everyone independently of earlier experiments, and no table of assignments needs storing. The
hash: pandas' ``hash_array`` of the ids (any id type, stable across runs and machines), mixed with a 64-bit
digest of the salt by MurmurHash3's finaliser (``fmix64``), read as a uniform number in [0, 1).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from shopcase.validate import check_array

_M1, _M2 = np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53)


def _salt_digest(salt: str) -> np.uint64:
    if not isinstance(salt, str) or not salt:
        raise ValueError(f"salt must be a non-empty string naming the experiment, got {salt!r}")
    return np.uint64(int.from_bytes(hashlib.blake2b(salt.encode(), digest_size=8).digest(), "little"))


def _fmix64(h: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):  # multiplication modulo 2^64 is the point
        h = h ^ (h >> np.uint64(33))
        h = h * _M1
        h = h ^ (h >> np.uint64(33))
        h = h * _M2
        return h ^ (h >> np.uint64(33))


def hash_uniforms(user_ids: object, salt: str | Sequence[str]) -> np.ndarray:
    """A uniform number in [0, 1) per user id, fixed by (id, salt): shape (n,), or (n_salts, n) for many salts."""
    ids = np.asarray(pd.Index(user_ids) if not isinstance(user_ids, np.ndarray) else user_ids)
    if ids.ndim != 1 or ids.size == 0:
        raise ValueError("user_ids must be a non-empty 1-D array of ids")
    if pd.isna(ids).any():
        raise ValueError(f"user_ids has {int(pd.isna(ids).sum())} missing id(s)")
    base = pd.util.hash_array(ids)
    salts = [salt] if isinstance(salt, str) else list(salt)
    digests = np.array([_salt_digest(s) for s in salts], dtype=np.uint64)
    mixed = _fmix64(base[None, :] ^ _fmix64(digests)[:, None])
    uniforms = (mixed >> np.uint64(11)).astype(np.float64) / float(1 << 53)
    return uniforms[0] if isinstance(salt, str) else uniforms


def assign_arms(user_ids: object, arms: Sequence[str] | Mapping[str, float], salt: str) -> np.ndarray:
    """The arm of each user: ``arms`` names (equal shares) or a mapping name -> share (normalised).

    Returns an object array of arm names, shape (n,). Stable: the same ids and salt give the same arms.
    """
    names = list(arms) if not isinstance(arms, Mapping) else list(arms.keys())
    if len(names) < 2:
        raise ValueError(f"arms needs at least two arms, got {names}")
    if len(set(names)) != len(names):
        raise ValueError(f"arms has duplicated names: {names}")
    shares = np.ones(len(names)) if not isinstance(arms, Mapping) else check_array(list(arms.values()), "arms' shares")
    if (shares <= 0).any():
        raise ValueError("arms' shares must all be > 0")
    edges = np.cumsum(shares / shares.sum())
    index = np.minimum(np.searchsorted(edges, hash_uniforms(user_ids, salt), side="right"), len(names) - 1)
    return np.array(names, dtype=object)[index]
