r"""Fits on data in a Dask array or DataFrame, on a cluster or a laptop.

The estimators take a ``dask.array.Array`` (row chunks, one column chunk,
dense NumPy or CSR blocks) or a ``dask.dataframe.DataFrame`` (feature names
from its columns) wherever they take an array, with ``y`` and
``sample_weight`` as dask arrays or series. Nothing is gathered on the
client: a fit makes **passes** over the chunks (:mod:`sklearn_foundations._chunks`),
each a kernel per chunk and a merge in a fixed tree by chunk index, so that
it is reproducible; the fitted attributes are NumPy arrays, those of the
in-memory fit, and a model fitted here pickles and predicts on NumPy input as
usual. Outputs on dask input (``predict``, ``transform``, ...) are lazy dask
arrays; ``n_passes_`` says how many passes the fit made.

A pass runs on one of two backends (:func:`set_backend`): with a
``distributed`` client active and ``X`` persisted on the cluster, as
**futures** (``client.map`` of the kernel over the blocks' futures, then one
task for the merge tree: about half the overhead of a graph); otherwise as a
plain dask **graph** (``X.to_delayed()``, one delayed kernel per block and a
delayed merge tree, computed once), which works on every scheduler and reads
each chunk once per pass. Both merge in the same tree, so they give the same
bits. Persisting ``X`` (``X = X.persist()``) when it fits in the workers'
memory makes iterative fits faster; passes over data on storage re-read
them.

This module imports dask; the package imports it only when it is given a
dask collection (``pip install "sklearn-foundations[dask]"``).
"""

import numpy as np
import scipy.sparse as sp

try:
    import dask
    import dask.array as da
except ImportError as exc:  # pragma: no cover - the optional extra
    raise ImportError(
        "Fitting dask collections needs dask: pip install "
        '"sklearn-foundations[dask]" (dask[array] and distributed).'
    ) from exc

from ._chunks import Chunks

__all__ = ["DaskChunks", "map_rows", "set_backend"]

_BACKEND = {"name": "auto"}


def set_backend(name):
    """How passes run: "auto" (futures when a ``distributed`` client is
    active and the data are persisted on it, else a graph), "futures" or
    "graph"; returns the previous setting.

    Examples
    --------
    >>> from sklearn_foundations.dask import set_backend
    >>> previous = set_backend("graph")
    >>> set_backend(previous)
    'graph'
    """
    if name not in ("auto", "futures", "graph"):
        raise ValueError(f"backend={name!r}; choose 'auto', 'futures' or 'graph'.")
    previous, _BACKEND["name"] = _BACKEND["name"], name
    return previous


class DaskChunks(Chunks):
    """The row chunks of a dask ``X`` (with ``y`` and ``sample_weight``).

    Parameters
    ----------
    X : dask.array.Array of shape (n_samples, n_features) or dask DataFrame
    y : dask array or Series of shape (n_samples,) or (n_samples, n_targets), or None
    sample_weight : dask array or Series of shape (n_samples,), or None

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> from sklearn_foundations.dask import DaskChunks
    >>> X = da.from_array(np.arange(12.0).reshape(6, 2), chunks=(2, 2))
    >>> chunks = DaskChunks(X)
    >>> chunks.n_chunks, float(chunks.map_reduce(lambda X, y, w, i: X.sum(),
    ...                                          lambda a, b: a + b))
    (3, 66.0)
    """

    def __init__(self, X, y=None, sample_weight=None):
        self.feature_names = None
        if _is_frame(X):
            self.feature_names = np.asarray([str(c) for c in X.columns], dtype=object)
            X = X.to_dask_array()
        if X.ndim != 2:
            raise ValueError(
                f"Expected a 2-D dask array for X, got {X.ndim} dimension(s); "
                "reshape it to (n_samples, n_features)."
            )
        if len(X.chunks[1]) > 1:
            raise ValueError(
                f"X has {len(X.chunks[1])} column chunks; the fit needs whole rows "
                "in each chunk: X = X.rechunk({1: -1})."
            )
        self.X = X
        self.n_features, self.n_chunks = X.shape[1], len(X.chunks[0])
        self.dtype = np.dtype(X.dtype)
        self.y = _aligned(y, X, "y")
        self.sample_weight = _aligned(sample_weight, X, "sample_weight")
        rows = X.chunks[0]
        self.row_counts = None if any(np.isnan(rows)) else [int(r) for r in rows]

    def _delayed_blocks(self):
        xs = self.X.to_delayed()[:, 0]
        ys = [None] * len(xs) if self.y is None else _blocks(self.y)
        ws = (
            [None] * len(xs)
            if self.sample_weight is None
            else _blocks(self.sample_weight)
        )
        return xs, ys, ws

    def map_reduce(self, kernel, merge, **broadcast):
        """One pass: on the cluster's futures, or as a dask graph (a delayed
        kernel per block and a delayed merge tree by chunk index)."""
        self.n_passes += 1
        futures = self._futures()
        if futures is not None:
            client, xs, ys, ws = futures
            parts = client.map(
                _run, [kernel] * len(xs), xs, ys, ws, range(len(xs)),
                [broadcast] * len(xs), pure=False, retries=0,
            )  # fmt: skip
            return client.submit(_tree, parts, merge, pure=False).result()
        xs, ys, ws = self._delayed_blocks()
        run = dask.delayed(_run, pure=True)
        parts = [
            run(kernel, x, y, w, i, broadcast)
            for i, (x, y, w) in enumerate(zip(xs, ys, ws, strict=True))
        ]
        combine = dask.delayed(merge, pure=True)
        while len(parts) > 1:
            merged = [
                combine(parts[i], parts[i + 1]) for i in range(0, len(parts) - 1, 2)
            ]
            if len(parts) % 2:
                merged.append(parts[-1])
            parts = merged
        return dask.compute(parts[0])[0]

    def _futures(self):
        """(client, futures of the blocks of X, y, w) when the futures backend
        applies, else None."""
        if _BACKEND["name"] == "graph":
            return None
        try:
            from distributed import futures_of, get_client

            client = get_client()
        except (ImportError, ValueError):
            if _BACKEND["name"] == "futures":
                raise ValueError(
                    "The futures backend needs an active distributed Client."
                ) from None
            return None
        found = []
        for a in (self.X, self.y, self.sample_weight):
            if a is None:
                found.append([None] * self.n_chunks)
                continue
            by_key = {f.key: f for f in futures_of(a)}
            keys = [k[0] if isinstance(k, list) else k for k in a.__dask_keys__()]
            if not hasattr(a, "chunks") or any(k not in by_key for k in keys):
                if _BACKEND["name"] == "futures":
                    raise ValueError(
                        "The futures backend needs X, y and sample_weight "
                        "persisted on the cluster: X = X.persist()."
                    )
                return None
            found.append([by_key[k] for k in keys])
        return (client, *found)

    def blocks(self):
        """The chunks in order, computed one at a time (one pass, each chunk
        on the client in turn: for work that must see them in sequence)."""
        for x, y, w in zip(*self._delayed_blocks(), strict=True):
            X, y, w = dask.compute(x, y, w)
            yield (X if sp.issparse(X) else np.asarray(X),
                   None if y is None else np.asarray(y),
                   None if w is None else np.asarray(w))  # fmt: skip

    def map_blocks(self, fn):
        return map_rows(self.X, fn)


def map_rows(X, fn, n_outputs=None, dtype=np.float64):
    """``fn`` on every row block of dask ``X``, lazily: a dask array with
    ``X``'s row chunks, 1-D when ``n_outputs`` is None, else
    ``(n_samples, n_outputs)``."""
    names = None
    if _is_frame(X):
        names = [str(c) for c in X.columns]
        X = X.to_dask_array()
    if n_outputs is None:
        return X.map_blocks(_rows(fn, names), drop_axis=1, dtype=dtype)
    return X.map_blocks(
        _rows(fn, names), chunks=(X.chunks[0], (n_outputs,)), dtype=dtype
    )


def _rows(fn, names):
    """``fn`` on a block, as a DataFrame with the columns' names where the
    input had them (the estimator checks them as in memory)."""

    def apply(block):
        if names is not None:
            import pandas as pd

            block = pd.DataFrame(block, columns=names)
        return np.asarray(fn(block))

    return apply


def _tree(parts, merge):
    """The merge tree, in one task on the cluster."""
    from ._chunks import tree_merge

    return tree_merge(parts, merge)


def _run(kernel, X, y, w, index, broadcast):
    """The kernel on one block: NumPy arrays (a DataFrame partition or a
    Series converted), CSR kept sparse."""
    X = X if sp.issparse(X) else np.asarray(X)
    y = None if y is None else np.asarray(y)
    w = None if w is None else np.asarray(w)
    return kernel(X, y, w, index, **broadcast)


def _is_frame(X):
    return hasattr(X, "columns") and hasattr(X, "to_dask_array")


def _blocks(a):
    """The delayed row blocks of a dask array or series."""
    if hasattr(a, "to_dask_array"):  # a Series: its partitions
        return list(a.to_delayed())
    delayed = a.to_delayed()
    return list(delayed[:, 0] if delayed.ndim == 2 else delayed)


def _aligned(a, X, name):
    """``a`` (y or sample_weight) with ``X``'s row chunks: a dask array is
    rechunked when the sizes are known and differ; a NumPy array is cut to
    them; a Series must have as many partitions as ``X`` has chunks."""
    if a is None:
        return None
    if (
        hasattr(a, "to_dask_array")
        or hasattr(a, "to_delayed")
        and not hasattr(a, "chunks")
    ):
        n = a.npartitions
        if n != len(X.chunks[0]):
            raise ValueError(
                f"{name} has {n} partitions but X has {len(X.chunks[0])} row "
                f"chunks; give {name} the same partitions as X (e.g. a column of "
                "the same DataFrame)."
            )
        return a
    if not isinstance(a, da.Array):
        a = np.asarray(a)
        if any(np.isnan(X.chunks[0])):
            raise ValueError(
                f"X has unknown chunk sizes, so a NumPy {name} cannot be cut to its "
                f"chunks: give {name} as a dask array or series of the same "
                "partitions."
            )
        return da.from_array(a, chunks=(X.chunks[0],) + a.shape[1:])
    if a.chunks[0] != X.chunks[0]:
        if any(np.isnan(X.chunks[0])) or any(np.isnan(a.chunks[0])):
            if len(a.chunks[0]) != len(X.chunks[0]):
                raise ValueError(
                    f"{name} and X have unknown chunk sizes and different numbers "
                    f"of chunks ({len(a.chunks[0])} and {len(X.chunks[0])}); give "
                    "them the same chunks."
                )
            return a
        a = a.rechunk({0: X.chunks[0]})
    return a
