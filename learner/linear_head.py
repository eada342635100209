"""The fast head's probabilities for a whole pool from its linear form, in one matrix product.

:meth:`learner.head.EmbeddingHead.linear` gives ``(coef, intercept)`` with
``softmax(head_features(X) @ coef.T + intercept) == predict_proba(X)``. Scoring a million
pool texts through scikit-learn means a float64 copy of the centred, normalised rows and a
second pass; here the centring and the norm are folded into the product instead, for each
row ``x`` with component mean ``m``::

    head_features(x) @ coef.T = (x @ coef.T - m * coef.sum(axis=1)) / ||x - m||

and ``||x - m||^2 = ||x||^2 - d * m^2``. The rows are read once, in float32, a chunk at a
time (the pool's vectors may be the memory-mapped cache); dot products and squared norms are
float32 sums of ``d`` products, the rest is float64. Measured
at a million 384-d rows beside chunked ``predict_proba`` in docs/benchmarks.md (queue refresh).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CHUNK = 65_536


@dataclass(frozen=True)
class RowStats:
    """Per row of a matrix: its component mean and the norm of the centred row (1 where that is 0).

    Fixed for an encoder's cached pool vectors, so a caller that scores the same pool again and
    again (a refresh after every batch) computes them once and passes them to :func:`head_proba`,
    which is then one matrix product per chunk and nothing more over the rows."""

    mean: np.ndarray
    norm: np.ndarray

    def part(self, start: int, stop: int) -> RowStats:
        return RowStats(self.mean[start:stop], self.norm[start:stop])


def row_stats(X: np.ndarray, *, chunk: int = CHUNK) -> RowStats:
    """The :class:`RowStats` of the rows of ``X`` (n x d), read a chunk at a time."""
    d = X.shape[1]
    means, norms = [], []
    for start in range(0, len(X), chunk):
        rows = np.asarray(X[start:start + chunk], dtype=np.float32)
        mean = rows.sum(axis=1, dtype=np.float64) / d
        squares = np.einsum("ij,ij->i", rows, rows).astype(np.float64)
        norm = np.sqrt(np.maximum(squares - d * mean * mean, 0.0))
        norm[norm < 1e-12] = 1.0
        means.append(mean)
        norms.append(norm)
    empty = np.empty(0, dtype=np.float64)
    return RowStats(np.concatenate(means) if means else empty, np.concatenate(norms) if norms else empty)


def head_proba(X: np.ndarray, coef: np.ndarray, intercept: np.ndarray, *, chunk: int = CHUNK,
               stats: RowStats | None = None) -> np.ndarray:
    """``(n, k)`` probabilities of the head ``(coef, intercept)`` on rows ``X`` (n x d); ``stats``:
    the rows' :class:`RowStats` when the caller keeps them (else computed chunk by chunk)."""
    coef = np.asarray(coef, dtype=np.float64)
    intercept = np.asarray(intercept, dtype=np.float64)
    weights = np.ascontiguousarray(coef, dtype=np.float32)
    sums = coef.sum(axis=1)
    out = np.empty((len(X), len(intercept)), dtype=np.float64)
    for start in range(0, len(X), chunk):
        rows = np.asarray(X[start:start + chunk], dtype=np.float32)
        part = stats.part(start, start + len(rows)) if stats is not None else row_stats(rows)
        dots = (weights @ rows.T).T.astype(np.float64)  # weights first: the faster BLAS shape
        logits = (dots - part.mean[:, None] * sums[None, :]) / part.norm[:, None] + intercept[None, :]
        logits -= logits.max(axis=1, keepdims=True)
        np.exp(logits, out=logits)
        logits /= logits.sum(axis=1, keepdims=True)
        out[start:start + len(rows)] = logits
    return out
