"""The fast head's probabilities for a whole pool from its linear form, in one matrix product.

:meth:`learner.head.EmbeddingHead.linear` gives ``(coef, intercept)`` with
``softmax(head_features(X) @ coef.T + intercept) == predict_proba(X)``. Scoring a million
pool texts through scikit-learn means a float64 copy of the centred, normalised rows and a
second pass; here the centring and the norm are folded into the product instead, for each
row ``x`` with component mean ``m``::

    head_features(x) @ coef.T = (x @ coef.T - m * coef.sum(axis=1)) / ||x - m||

and ``||x - m||^2 = ||x||^2 - d * m^2``. The rows are read once, in float32, a chunk at a
time (the pool's vectors may be the memory-mapped cache); dot products, means (one more
weight row) and squared norms are float32 sums of ``d`` products, the rest is float64. Measured
at a million 384-d rows beside chunked ``predict_proba`` in docs/benchmarks.md (queue refresh).
"""

from __future__ import annotations

import numpy as np

CHUNK = 16_384


def head_proba(X: np.ndarray, coef: np.ndarray, intercept: np.ndarray, *, chunk: int = CHUNK) -> np.ndarray:
    """``(n, k)`` probabilities of the head ``(coef, intercept)`` on rows ``X`` (n x d)."""
    coef = np.asarray(coef, dtype=np.float64)
    intercept = np.asarray(intercept, dtype=np.float64)
    n, k, d = len(X), len(intercept), coef.shape[1]
    # One product gives the logits' dot products and, in the last row, each row's component mean.
    weights = np.ascontiguousarray(np.vstack([coef, np.full((1, d), 1.0 / d)]), dtype=np.float32)
    sums = coef.sum(axis=1)
    out = np.empty((n, k), dtype=np.float64)
    for start in range(0, n, chunk):
        rows = np.asarray(X[start:start + chunk], dtype=np.float32)
        product = (weights @ rows.T).T.astype(np.float64)  # (m, k + 1); weights first: the faster BLAS shape
        dots, mean = product[:, :k], product[:, k]
        squares = np.einsum("ij,ij->i", rows, rows).astype(np.float64)
        norm = np.sqrt(np.maximum(squares - d * mean * mean, 0.0))
        norm[norm < 1e-12] = 1.0
        logits = (dots - mean[:, None] * sums[None, :]) / norm[:, None] + intercept[None, :]
        logits -= logits.max(axis=1, keepdims=True)
        np.exp(logits, out=logits)
        logits /= logits.sum(axis=1, keepdims=True)
        out[start:start + len(rows)] = logits
    return out
