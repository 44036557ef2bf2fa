"""Off-policy evaluation: what would a new recommender have sold, judged from the old one's logs?

A shop logs what a **stochastic** policy showed (a softmax over its recommender's ranking) and the chance it had
of showing it (the propensity). A new policy's value can then be estimated without deploying it:

- **IPS** (inverse propensity scoring): the mean of ``w r``, ``w = target prob / logging propensity``; unbiased
  when the logging policy gives every action the target takes a positive chance, but its variance grows with
  the weights.
- **SNIPS** (self-normalised IPS): ``sum(w r) / sum(w)``; slightly biased, much steadier when weights are large.
- **Doubly robust** (Dudik, Langford & Li 2011): a reward model's prediction of the target's value plus the
  IPS-weighted error of the reward model on the logged actions; unbiased if either the propensities or the
  model are right, and lower variance when the model is good.

Intervals are normal, with the sample standard deviation of each estimator's per-log terms (the delta method
for SNIPS). Where they break: small propensities (a greedy logging policy rarely shows what the target
wants) and large slates (the propensity of a whole ordered slate is a product of small numbers, so almost no
logged slate matches the target's): ``effective_sample_size`` says so before the interval does.

``BanditSimulator`` logs such data on the shop's hidden truth and knows each target policy's true value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from shopcase.data.generate import Shop
from shopcase.experiments import core
from shopcase.experiments.results import OffPolicyEstimate
from shopcase.schema import ITEM_ID, SEED, USER_ID
from shopcase.validate import check_array, check_int, check_number, check_probability, check_same_length


def _inputs(rewards, target_probabilities, logging_propensities) -> tuple[np.ndarray, np.ndarray]:
    r = check_array(rewards, "rewards", low=0.0)
    target = check_array(target_probabilities, "target_probabilities", low=0.0, high=1.0)
    logging = check_array(logging_propensities, "logging_propensities", high=1.0)
    check_same_length(rewards=r, target_probabilities=target, logging_propensities=logging)
    if (logging <= 0).any():
        raise ValueError(
            f"logging_propensities has {int((logging <= 0).sum())} value(s) <= 0: a logged action had a chance "
            "to be shown"
        )
    if r.size < 2:
        raise ValueError("rewards needs at least 2 logged rounds")
    return r, target / logging


def ips_terms(weights: np.ndarray, rewards: np.ndarray) -> np.ndarray:
    return weights * rewards


def estimates(kind: str, w: np.ndarray, r: np.ndarray, q_logged=None, v_target=None, alpha: float = 0.05) -> dict:
    """Estimate, standard error and interval of ``kind`` (ips, snips, dr) along the last axis (vectorised)."""
    n = w.shape[-1]
    if kind == "ips":
        terms = w * r
        est = terms.mean(axis=-1)
        se = terms.std(axis=-1, ddof=1) / np.sqrt(n)
    elif kind == "snips":
        total = w.sum(axis=-1)
        est = (w * r).sum(axis=-1) / total
        se = np.sqrt((w**2 * (r - est[..., None]) ** 2).sum(axis=-1)) / total
    else:
        terms = v_target + w * (r - q_logged)
        est = terms.mean(axis=-1)
        se = terms.std(axis=-1, ddof=1) / np.sqrt(n)
    z = core.z_quantile(alpha)
    ess = w.sum(axis=-1) ** 2 / np.maximum((w**2).sum(axis=-1), 1e-300)
    return {"estimate": est, "se": se, "ci_low": est - z * se, "ci_high": est + z * se, "ess": ess,
            "max_weight": w.max(axis=-1)}  # fmt: skip


def _result(name: str, values: dict, n: int, assumptions: str, alpha: float) -> OffPolicyEstimate:
    return OffPolicyEstimate(
        estimator=name,
        estimate=float(values["estimate"]),
        ci_low=float(values["ci_low"]),
        ci_high=float(values["ci_high"]),
        n=n,
        effective_sample_size=float(values["ess"]),
        max_weight=float(values["max_weight"]),
        assumptions=assumptions,
        alpha=alpha,
    )


SUPPORT = "the logging policy gives every action the target takes a positive, correctly logged propensity"


def ips(
    rewards: object, target_probabilities: object, logging_propensities: object, *, alpha: float = 0.05
) -> OffPolicyEstimate:
    """Inverse propensity scoring: the mean of ``target / logging x reward`` over the logged rounds.

    Parameters
    ----------
    rewards : array (n,)
        What each logged round earned (>= 0: a purchase, revenue).
    target_probabilities : array (n,)
        The probability the target policy gives the logged action in that context (1 or 0 for a
        deterministic policy).
    logging_propensities : array (n,)
        The probability the logging policy had of taking the logged action (> 0).
    """
    alpha = check_probability(alpha, "alpha")
    r, w = _inputs(rewards, target_probabilities, logging_propensities)
    return _result("IPS", estimates("ips", w, r, alpha=alpha), r.size, SUPPORT, alpha)


def snips(
    rewards: object, target_probabilities: object, logging_propensities: object, *, alpha: float = 0.05
) -> OffPolicyEstimate:
    """Self-normalised IPS: ``sum(w r) / sum(w)``; a delta-method interval."""
    alpha = check_probability(alpha, "alpha")
    r, w = _inputs(rewards, target_probabilities, logging_propensities)
    if w.sum() <= 0:
        raise ValueError("the target policy gives probability 0 to every logged action: SNIPS is undefined")
    return _result("SNIPS", estimates("snips", w, r, alpha=alpha), r.size, SUPPORT + "; large n", alpha)


def doubly_robust(
    rewards: object,
    target_probabilities: object,
    logging_propensities: object,
    reward_predictions: object,
    target_value_predictions: object,
    *,
    alpha: float = 0.05,
) -> OffPolicyEstimate:
    """Doubly robust: ``mean(v_hat + w (reward - q_hat))``.

    ``reward_predictions`` is a reward model's prediction for each logged (context, action); and
    ``target_value_predictions`` its prediction of the target policy's reward in each logged context
    (``sum over actions of target prob x predicted reward``).
    """
    alpha = check_probability(alpha, "alpha")
    r, w = _inputs(rewards, target_probabilities, logging_propensities)
    q = check_array(reward_predictions, "reward_predictions")
    v = check_array(target_value_predictions, "target_value_predictions")
    check_same_length(rewards=r, reward_predictions=q, target_value_predictions=v)
    values = estimates("dr", w, r, q_logged=q, v_target=v, alpha=alpha)
    return _result("DR", values, r.size, SUPPORT + ", or the reward model is right", alpha)


def _softmax_over_ranks(ranks: np.ndarray, valid: np.ndarray, temperature: float) -> np.ndarray:
    logits = np.where(valid, -ranks / temperature, -np.inf)
    logits -= logits.max(axis=1, keepdims=True)
    weights = np.exp(logits)
    return weights / weights.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class LoggedFeedback:
    """Logged rounds of one simulation: ``log`` (``user_id, item_id`` of each slot, ``propensity`` of the slate,
    ``target_probability``, ``reward``) plus the arrays the estimators take and the target's ``true_value``."""

    log: pd.DataFrame
    rewards: np.ndarray
    target_probabilities: np.ndarray
    logging_propensities: np.ndarray
    reward_predictions: np.ndarray
    target_value_predictions: np.ndarray
    true_value: float

    def estimate_all(self, alpha: float = 0.05) -> list[OffPolicyEstimate]:
        """IPS, SNIPS and doubly robust on these logs."""
        args = (self.rewards, self.target_probabilities, self.logging_propensities)
        return [
            ips(*args, alpha=alpha),
            snips(*args, alpha=alpha),
            doubly_robust(*args, self.reward_predictions, self.target_value_predictions, alpha=alpha),
        ]


class BanditSimulator:
    """Homepage slates logged by a softmax over one recommender's ranking, judged for another's.

    For each user of the pool, the candidates are the logging model's top ``n_candidates`` plus the target
    model's top ``slate_size`` (ranked last by the logger if it did not rank them); the logging policy draws an
    ordered slate of ``slate_size`` candidates from ``softmax(-rank / temperature)`` (Plackett-Luce, by the
    Gumbel top-k trick), the target policy always shows its own top ``slate_size``. A shown item in slot k is
    bought with ``k ** -eta x sigmoid(purchase_bias + affinity)`` (the shop's true affinity); the reward is the
    number of items bought. The target's true value is the expected reward of its slate, averaged over the pool.
    """

    def __init__(
        self,
        shop: Shop,
        logging_model: object,
        target_model: object,
        *,
        user_ids: object = None,
        n_candidates: int = 20,
        temperature: float = 20.0,
        slate_size: int = 1,
        purchase_bias: float = -3.0,
        eta: float = 1.0,
    ) -> None:
        self.n_candidates = check_int(n_candidates, "n_candidates", low=2)
        self.temperature = check_number(temperature, "temperature", low=0.0, low_inclusive=False)
        self.slate_size = check_int(slate_size, "slate_size", high=self.n_candidates)
        ids = shop.users[USER_ID].to_numpy() if user_ids is None else np.asarray(user_ids)
        self.user_ids = ids
        catalogue = shop.catalogue[ITEM_ID].to_numpy()
        k = self.slate_size
        logged = _top_items(logging_model, "logging_model", ids, self.n_candidates, catalogue)
        target = _top_items(target_model, "target_model", ids, k, catalogue)
        if (target < 0).any():
            raise ValueError(f"target_model returned fewer than slate_size={k} items for some users")
        extra = np.where((target[:, :, None] == logged[:, None, :]).any(axis=2), -1, target)
        self.candidates = np.concatenate([logged, extra], axis=1)  # item rows, -1 = empty
        valid = self.candidates >= 0
        ranks = np.broadcast_to(np.arange(self.candidates.shape[1], dtype=np.float64), self.candidates.shape)
        ranks = np.where(np.arange(self.candidates.shape[1]) < self.n_candidates, ranks, self.n_candidates)
        self.logging_probs = _softmax_over_ranks(ranks, valid, self.temperature)
        affinity = shop.truth.affinity_by_index(
            np.repeat(ids - 1, self.candidates.shape[1]), np.maximum(self.candidates, 0).ravel()
        ).reshape(self.candidates.shape)
        self.buy = np.where(valid, 1.0 / (1.0 + np.exp(-(purchase_bias + affinity))), 0.0)
        self.examination = np.arange(1, k + 1, dtype=np.float64) ** -check_number(eta, "eta", low=0.0)
        # the target's slate as candidate columns
        self.target_columns = np.argmax(self.candidates[:, :, None] == target[:, None, :], axis=1)  # (users, k)
        rows = np.arange(len(ids))[:, None]
        self.true_value = float((self.buy[rows, self.target_columns] * self.examination).sum(axis=1).mean())

    def _draw(self, users: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Logged slates, propensities, rewards and DR inputs for ``users`` (any shape), vectorised."""
        k = self.slate_size
        probs = self.logging_probs[users]  # (..., C)
        gumbel = -np.log(-np.log(rng.random(probs.shape)))
        with np.errstate(divide="ignore"):
            keys = np.log(probs) + gumbel
        if k == 1:
            slate = np.argmax(keys, axis=-1)[..., None]
        else:  # Plackett-Luce draw without replacement: the k largest keys, in order
            top = np.argpartition(-keys, k - 1, axis=-1)[..., :k]
            slate = np.take_along_axis(top, np.argsort(-np.take_along_axis(keys, top, axis=-1), axis=-1), axis=-1)
        chosen = np.take_along_axis(probs, slate, axis=-1)
        before = np.cumsum(chosen, axis=-1) - chosen
        propensity = np.prod(chosen / np.maximum(1.0 - before, 1e-300), axis=-1)
        buy = np.take_along_axis(self.buy[users], slate, axis=-1) * self.examination
        reward = (rng.random(buy.shape) < buy).sum(axis=-1).astype(np.float64)
        match = (slate == self.target_columns[users]).all(axis=-1)
        return {"slate": slate, "propensity": propensity, "reward": reward, "target": match.astype(np.float64)}

    def _reward_model(self, users: np.ndarray, draw: dict) -> tuple[np.ndarray, np.ndarray]:
        """A deliberately simple reward model fitted on the logs: the mean reward of each logged first item
        (smoothed towards the overall mean), predicted for the logged and for the target's slate."""
        first = np.take_along_axis(self.candidates[users], draw["slate"][..., :1], axis=-1)[..., 0]
        target_first = self.candidates[users, self.target_columns[users][..., 0]]
        n_items = int(self.candidates.max()) + 1
        lead = users.shape[:-1]
        offset = np.arange(int(np.prod(lead))).reshape(lead)[..., None] * n_items
        reward = draw["reward"]
        total = np.bincount((offset + first).ravel(), reward.ravel(), offset.size * n_items).reshape(*lead, n_items)
        count = np.bincount((offset + first).ravel(), None, offset.size * n_items).reshape(*lead, n_items)
        overall = reward.mean(axis=-1, keepdims=True)
        mean = (total + 5.0 * overall) / (count + 5.0)
        return np.take_along_axis(mean, first, axis=-1), np.take_along_axis(mean, target_first, axis=-1)

    def log(self, n: int, seed: int = SEED) -> LoggedFeedback:
        """``n`` logged rounds (users drawn at random from the pool)."""
        n = check_int(n, "n", low=2)
        rng = np.random.default_rng(check_int(seed, "seed", low=0))
        users = rng.integers(0, len(self.user_ids), n)
        draw = self._draw(users[None, :], rng)
        q, v = self._reward_model(users[None, :], draw)
        items = self.candidates[users[:, None], draw["slate"][0]]
        log = pd.DataFrame({USER_ID: self.user_ids[users]})
        for slot in range(self.slate_size):
            log[f"{ITEM_ID}_{slot + 1}" if self.slate_size > 1 else ITEM_ID] = items[:, slot] + 1
        log["propensity"], log["target_probability"], log["reward"] = (
            draw["propensity"][0],
            draw["target"][0],
            draw["reward"][0],
        )
        return LoggedFeedback(
            log, draw["reward"][0], draw["target"][0], draw["propensity"][0], q[0], v[0], self.true_value
        )

    def replicate(self, n_seeds: int, n: int, seed: int = SEED, alpha: float = 0.05) -> pd.DataFrame:
        """IPS, SNIPS and DR on ``n_seeds`` independent logs of ``n`` rounds: one row per (seed, estimator)."""
        n_seeds = check_int(n_seeds, "n_seeds")
        n = check_int(n, "n", low=2)
        rng = np.random.default_rng(check_int(seed, "seed", low=0))
        users = rng.integers(0, len(self.user_ids), (n_seeds, n))
        draw = self._draw(users, rng)
        q, v = self._reward_model(users, draw)
        w = draw["target"] / draw["propensity"]
        frames = []
        for name, kind in (("IPS", "ips"), ("SNIPS", "snips"), ("DR", "dr")):
            with np.errstate(divide="ignore", invalid="ignore"):
                values = estimates(kind, w, draw["reward"], q_logged=q, v_target=v, alpha=alpha)
            frame = pd.DataFrame({k: np.asarray(val, dtype=np.float64) for k, val in values.items()})
            frame.insert(0, "estimator", name)
            frame.insert(0, "seed", np.arange(n_seeds))
            frames.append(frame)
        out = pd.concat(frames, ignore_index=True)
        out["true_value"] = self.true_value
        out["covers"] = (out["ci_low"] <= self.true_value) & (self.true_value <= out["ci_high"])
        return out


def summarise_replications(table: pd.DataFrame) -> pd.DataFrame:
    """Per estimator: mean estimate, bias, its standard error, RMSE, interval coverage and effective sample size."""
    g = table.groupby("estimator", sort=False)
    truth = table["true_value"].iloc[0]
    return pd.DataFrame(
        {
            "mean_estimate": g["estimate"].mean(),
            "bias": g["estimate"].mean() - truth,
            "bias_se": g["estimate"].std() / np.sqrt(g.size()),
            "rmse": g["estimate"].apply(lambda e: float(np.sqrt(np.nanmean((e - truth) ** 2)))),
            "coverage": g["covers"].mean(),
            "effective_sample_size": g["ess"].mean(),
            "true_value": truth,
        }
    )


def _top_items(model: object, name: str, user_ids: np.ndarray, n: int, catalogue: np.ndarray) -> np.ndarray:
    """Catalogue rows of ``model``'s top ``n`` per user (-1 where shorter); items outside the catalogue raise."""
    if not callable(getattr(model, "recommend", None)):
        raise ValueError(f"{name} must have a recommend(user_ids, n) method, got {type(model).__name__}")
    recs = model.recommend(user_ids, n=n)
    rows = pd.Index(catalogue).get_indexer(recs[ITEM_ID])
    if (rows < 0).any():
        raise ValueError(f"{name} returned {int((rows < 0).sum())} item(s) outside the catalogue")
    out = np.full((len(user_ids), n), -1, dtype=np.int64)
    out[pd.Index(user_ids).get_indexer(recs[USER_ID]), recs.groupby(USER_ID, sort=False).cumcount().to_numpy()] = rows
    return out
