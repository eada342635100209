"""Cold start: what to ask first when there are no labels and no model.

With nothing learned, uncertainty is the same everywhere and uncertainty
sampling is no better than random (often worse: it follows the untrained
model's arbitrary quirks).  Two honest options:

* ``"random"``: a seeded shuffle; needs nothing.
* ``"kmeans"``: cluster the pool's embeddings into ``n`` groups and ask first
  about the item closest to each centre (biggest clusters first), so the first
  labels cover the pool's main themes; the rest follow in random order.
"""

from __future__ import annotations

import numpy as np

from .errors import InputError

COLD_START_METHODS = ("kmeans", "random")
# Above this many items MiniBatchKMeans replaces KMeans.
MINIBATCH_ABOVE = 10_000


def cold_start_order(embeddings=None, n_items=None, n=10, *, method="kmeans", random_state=None) -> np.ndarray:
    """An ordering of all ``n_items`` pool items (an int array, a permutation).

    ``method="kmeans"`` needs ``embeddings`` (n_items, d): its first
    ``min(n, n_items)`` entries are the items closest to the centroids of a
    ``n``-means clustering, largest cluster first, all distinct.
    ``method="random"`` needs only ``n_items`` (or ``embeddings`` to count).
    """
    if method not in COLD_START_METHODS:
        raise InputError(f"unknown cold-start method {method!r}; choose one of {COLD_START_METHODS}")
    if embeddings is not None:
        embeddings = np.asarray(embeddings)
        if embeddings.ndim != 2:
            raise InputError(f"embeddings must be a 2-D array, got shape {embeddings.shape}")
        if n_items is not None and n_items != len(embeddings):
            raise InputError(f"n_items={n_items} but there are {len(embeddings)} embeddings")
        n_items = len(embeddings)
    if n_items is None:
        raise InputError("pass embeddings or n_items")
    if n_items < 0 or n < 0:
        raise InputError("n_items and n must be >= 0")
    rng = np.random.default_rng(random_state)
    if method == "random":
        return rng.permutation(n_items).astype(np.int64)
    if embeddings is None:
        raise InputError("method='kmeans' needs the pool's embeddings; use method='random' without them")
    k = min(n, n_items)
    if k == 0 or k == n_items:
        return rng.permutation(n_items).astype(np.int64)
    first = _centroid_items(embeddings.astype(np.float32, copy=False), k, rng)
    rest = np.setdiff1d(np.arange(n_items), first, assume_unique=True)
    return np.concatenate([first, rng.permutation(rest)]).astype(np.int64)


def _centroid_items(X: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    from sklearn.cluster import KMeans, MiniBatchKMeans

    seed = int(rng.integers(2**31 - 1))
    if len(X) > MINIBATCH_ABOVE:
        model = MiniBatchKMeans(n_clusters=k, random_state=seed, n_init=3, batch_size=2048)
    else:
        model = KMeans(n_clusters=k, random_state=seed, n_init="auto")
    assignment = model.fit_predict(X)
    sizes = np.bincount(assignment, minlength=k)
    centres = model.cluster_centers_
    # squared distances from every item to every centre, without an (n, k, d) temporary
    dist = (X**2).sum(1)[:, None] - 2.0 * X @ centres.T + (centres**2).sum(1)[None, :]
    taken = np.zeros(len(X), dtype=bool)
    picks = []
    for c in np.argsort(-sizes, kind="stable"):
        column = np.where(taken, np.inf, dist[:, c])
        best = int(np.argmin(column))
        if np.isfinite(column[best]):
            picks.append(best)
            taken[best] = True
    return np.asarray(picks, dtype=np.int64)
