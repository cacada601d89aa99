"""The dense (FAISS) index over chunk vectors, chosen by the corpus's size (issue 13).

Exact inner product (`IndexFlatIP`) up to `exact_max_chunks`; above it an inverted-file index (`IVFFlat`,
nlist about 4*sqrt(n), k-means trained on a sample, `nprobe` lists scanned per query), or HNSW when asked.
IVF is the default above the threshold because `eval/bench_scale.py` measured it better on MiniLM vectors
(at 100k chunks recall@10 0.99 against HNSW's 0.90 at a similar p50; at 1M 0.99 in 1 ms) and because it
is updated by id, as the flat index is; HNSW cannot remove ids, so a removal rebuilds it.

A view's index is built from the previous view's by id on a copy (readers of the previous view are never
disturbed). When the kind the size calls for differs from what can be had by an update (the corpus grew
past the threshold, an IVF index outgrew its lists, HNSW lost ids), the exact index is built at once and
the approximate one is trained on a thread, then swapped in: the old index serves meanwhile.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    from rag.settings import Settings

logger = logging.getLogger(__name__)

DenseKind = Literal["flat", "ivf", "hnsw"]


@dataclass(frozen=True, slots=True)
class DenseIndexSpec:
    """How the dense index is chosen and tuned (the `# Scale (issue 13)` settings)."""

    kind: Literal["auto", "flat", "ivf", "hnsw"] = "auto"
    exact_max_chunks: int = 20_000
    ivf_nprobe: int = 32
    ivf_train_points: int = 64
    hnsw_m: int = 32
    hnsw_ef_search: int = 128
    background: bool = True

    def __post_init__(self) -> None:
        if self.kind not in ("auto", "flat", "ivf", "hnsw"):
            raise ValueError(f"kind must be auto, flat, ivf or hnsw, got {self.kind!r}")
        for name in ("exact_max_chunks", "ivf_nprobe", "ivf_train_points", "hnsw_m", "hnsw_ef_search"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")

    @classmethod
    def from_settings(cls, settings: Settings) -> DenseIndexSpec:
        return cls(
            kind=settings.dense_index,
            exact_max_chunks=settings.exact_max_chunks,
            ivf_nprobe=settings.ivf_nprobe,
            ivf_train_points=settings.ivf_train_points,
            hnsw_m=settings.hnsw_m,
            hnsw_ef_search=settings.hnsw_ef_search,
        )

    def kind_for(self, n: int) -> DenseKind:
        if self.kind != "auto":
            return self.kind
        return "flat" if n <= self.exact_max_chunks else "ivf"

    @staticmethod
    def nlist_for(n: int) -> int:
        """Inverted lists for `n` vectors: about 4 * sqrt(n), at least 1, at most n."""
        return max(1, min(n, round(4 * math.sqrt(n))))


def build_faiss(vectors: np.ndarray, keys: np.ndarray, kind: DenseKind, spec: DenseIndexSpec) -> object:
    """A FAISS index of `kind` over `vectors` (float32, unit rows), with `keys` as ids, ready to search."""
    import faiss

    n, d = vectors.shape
    if kind == "flat":
        index = faiss.IndexIDMap2(faiss.IndexFlatIP(d))
    elif kind == "ivf":
        nlist = spec.nlist_for(n)
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(d), d, nlist, faiss.METRIC_INNER_PRODUCT)
        sample = min(n, spec.ivf_train_points * nlist)  # FAISS wants at least 39 points per list
        rows = np.sort(np.random.default_rng(0).choice(n, size=sample, replace=False)) if sample < n else slice(None)
        index.train(np.ascontiguousarray(vectors[rows]))
        index.set_direct_map_type(faiss.DirectMap.Hashtable)  # reconstruct(id) and remove_ids by chunk key
        index.nprobe = min(spec.ivf_nprobe, nlist)
    elif kind == "hnsw":
        hnsw = faiss.IndexHNSWFlat(d, spec.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efSearch = spec.hnsw_ef_search
        index = faiss.IndexIDMap2(hnsw)
    else:
        raise ValueError(f"unknown dense index kind {kind!r}")
    if n:
        index.add_with_ids(vectors, keys)
    return index


def kind_of(index: object) -> DenseKind:
    import faiss

    inner = faiss.downcast_index(index.index) if isinstance(index, faiss.IndexIDMap2) else index
    if isinstance(inner, faiss.IndexIVF):
        return "ivf"
    if isinstance(inner, faiss.IndexHNSW):
        return "hnsw"
    return "flat"


def describe(index: object) -> dict[str, object]:
    """The index's kind and parameters, as the manifest shows them."""
    import faiss

    kind = kind_of(index)
    found: dict[str, object] = {"kind": kind, "vectors": int(index.ntotal), "dimension": int(index.d)}
    if kind == "ivf":
        ivf = faiss.extract_index_ivf(index)
        found |= {"nlist": int(ivf.nlist), "nprobe": int(ivf.nprobe)}
    elif kind == "hnsw":
        hnsw = faiss.downcast_index(index.index).hnsw
        found |= {"m": int(hnsw.nb_neighbors(1)), "ef_search": int(hnsw.efSearch)}
    return found


class ChunkVectors:
    """FAISS inner-product index over chunk vectors, with ids; `search` and `reconstruct` speak positions.

    `index` may be swapped once, by a background build of the kind the size calls for; `description`
    (shown in the manifest) is updated in place when it is.
    """

    def __init__(self, index: object, keys: np.ndarray, description: dict[str, object] | None = None) -> None:
        self.index = index
        self.keys = keys  # position -> FAISS id (chunk key)
        self._order = np.argsort(keys, kind="stable")
        self._sorted = keys[self._order]
        self.description: dict[str, object] = description if description is not None else describe(index)
        self._superseded = threading.Event()
        self._worker: threading.Thread | None = None

    @classmethod
    def build(
        cls,
        keys: np.ndarray,
        vectors: np.ndarray,
        previous: ChunkVectors | None = None,
        spec: DenseIndexSpec | None = None,
    ) -> ChunkVectors:
        """The index for these chunks: `previous` updated by id when given (on a copy), else built anew;
        in the background when the kind `spec` calls for at this size cannot be had by an update."""
        spec = spec or DenseIndexSpec()
        target = spec.kind_for(len(keys))
        if previous is not None:
            previous._superseded.set()  # its background build, if any, is no longer worth finishing
        updated = cls._updated(keys, vectors, previous, target, spec)
        if updated is not None:
            return cls(updated, keys)
        if target == "flat" or not spec.background:
            return cls(build_faiss(vectors, keys, target, spec), keys)
        exact = cls._updated(keys, vectors, previous, "flat", spec)
        if exact is None:
            exact = build_faiss(vectors, keys, "flat", spec)
        made = cls(exact, keys, describe(exact) | {"building": target})
        made._worker = threading.Thread(target=made._swap_in, args=(vectors, target, spec), daemon=True)
        made._worker.start()
        return made

    @staticmethod
    def _updated(
        keys: np.ndarray, vectors: np.ndarray, previous: ChunkVectors | None, target: DenseKind, spec: DenseIndexSpec
    ) -> object | None:
        """`previous`'s index updated by id on a copy, when it is of kind `target` and that is sound."""
        import faiss

        if previous is None or previous.index.d != vectors.shape[1] or kind_of(previous.index) != target:
            return None
        old, new = set(previous.keys.tolist()), set(keys.tolist())
        removed = np.array(sorted(old - new), dtype=np.int64)
        if target == "hnsw" and len(removed):
            return None  # HNSW cannot remove ids
        if target == "ivf" and faiss.extract_index_ivf(previous.index).nlist * 2 < spec.nlist_for(len(keys)):
            return None  # grown past its lists: train again
        index = faiss.clone_index(previous.index)
        if len(removed):
            index.remove_ids(removed)
        added = np.array([i for i, k in enumerate(keys.tolist()) if k not in old], dtype=np.int64)
        if len(added):
            index.add_with_ids(np.ascontiguousarray(vectors[added]), keys[added])
        return index

    def _swap_in(self, vectors: np.ndarray, kind: DenseKind, spec: DenseIndexSpec) -> None:
        try:
            if self._superseded.is_set():
                return
            built = build_faiss(vectors, self.keys, kind, spec)
            if self._superseded.is_set():
                return
            self.index = built  # one reference assignment: a search in flight keeps the index it started with
            self.description.clear()
            self.description.update(describe(built))
            logger.info("dense index swapped in: %s", self.description)
        except Exception:  # the exact index keeps serving; say why the approximate one is missing
            logger.exception("building the %s index in the background failed; the exact index keeps serving", kind)
            self.description["building_failed"] = kind

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for a background build (if any); True when none is still running."""
        if self._worker is not None:
            self._worker.join(timeout)
            return not self._worker.is_alive()
        return True

    @property
    def kind(self) -> DenseKind:
        return kind_of(self.index)

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    @property
    def d(self) -> int:
        return int(self.index.d)

    def search(self, x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """FAISS's search, with chunk positions instead of ids (-1 where fewer than `k` exist)."""
        scores, ids = self.index.search(x, k)
        where = np.clip(np.searchsorted(self._sorted, ids), 0, max(len(self._sorted) - 1, 0))
        positions = np.where(ids >= 0, self._order[where], -1)
        return scores, positions

    def reconstruct(self, position: int) -> np.ndarray:
        return self.index.reconstruct(int(self.keys[position]))
