"""Maximum likelihood for the customer-base models (BG/NBD, Gamma-Gamma): one optimiser, written once.

Both models have positive parameters, so the optimiser (scipy's L-BFGS-B) works on their logarithms,
with bounds that keep ``exp`` finite; both take ``penalizer``, ``initial_params`` and ``max_iter``,
checked here before any data is looked at.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy import optimize

from shopcase.validate import check_int, check_number


def check_positive_params(values: object, name: str, names: Sequence[str]) -> np.ndarray:
    """``values`` as ``len(names)`` positive finite floats (a model's parameters in order ``names``)."""
    try:
        given = list(values)  # type: ignore[call-overload]
    except TypeError as exc:
        raise ValueError(f"{name} must be {len(names)} positive numbers ({', '.join(names)}), got {values!r}") from exc
    if len(given) != len(names):
        raise ValueError(f"{name} must be {len(names)} positive numbers ({', '.join(names)}), got {values!r}")
    pairs = zip(names, given, strict=True)
    return np.array([check_number(v, f"{name}[{k}]", low=0.0, low_inclusive=False) for k, v in pairs])


def check_fit_params(model: object, names: Sequence[str]) -> tuple[float, np.ndarray, int]:
    """``(penalizer, log of initial_params, max_iter)`` of ``model``, each checked (``ValueError`` naming it)."""
    penalizer = check_number(model.penalizer, "penalizer", low=0.0)  # type: ignore[attr-defined]
    start = np.log(check_positive_params(model.initial_params, "initial_params", names))  # type: ignore[attr-defined]
    max_iter = check_int(model.max_iter, "max_iter")  # type: ignore[attr-defined]
    return penalizer, start, max_iter


def maximise_likelihood(
    mean_log_likelihood: Callable[[np.ndarray], float],
    start: np.ndarray,
    penalizer: float,
    max_iter: int,
    what: str,
) -> tuple[np.ndarray, int]:
    """Parameters maximising ``mean_log_likelihood(params) - penalizer * sum(params**2)``, and the iterations.

    ``start`` holds the logs of the starting parameters. Raises ``ValueError`` naming ``what`` when the
    optimiser stops at its iteration cap.
    """

    def objective(log_params: np.ndarray) -> float:
        params = np.exp(log_params)
        value = -mean_log_likelihood(params) + penalizer * np.sum(params**2)
        # Far from the optimum the terms can overflow: steer the optimiser back instead of failing.
        return float(value) if np.isfinite(value) else 1e300

    result = optimize.minimize(
        objective,
        start,
        method="L-BFGS-B",
        # Bounds on log-params keep exp() finite; the optimum of real data lies far inside them.
        bounds=[(-20.0, 20.0)] * len(start),
        options={"maxiter": max_iter, "gtol": 1e-9, "ftol": 1e-14},
    )
    # "ABNORMAL" = the line search met float precision at the optimum (finite-difference gradient);
    # hitting the iteration cap is the failure worth reporting.
    if not result.success and "ABNORMAL" not in str(result.message).upper():
        raise ValueError(f"{what} fit did not converge: {result.message}")
    return np.exp(result.x), int(result.nit)
