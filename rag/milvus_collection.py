"""A Milvus collection mirroring the store's chunks: vectors, BM25 terms and the fields citations need.

One client API, pymilvus's `MilvusClient`, for the three ways to run Milvus: a `.db` file path is Milvus
Lite (embedded), an `http(s)://` address a server or a cluster. The collection describes itself (its
description is a JSON record of the store it mirrors, the vector dimension, the model and whether it holds
BM25 sparse vectors); a collection that describes something else is dropped and rebuilt. `sync` brings it
in step with one loaded view of the store, by chunk key (the store's never-reused chunk ids): what is
missing is upserted, what the store no longer has is deleted.

BM25 full-text search (`Function(type=BM25)`) exists from Milvus 2.5 (Milvus Lite 2.5 has it); it is
detected from the server's version, never configured. Its input is the chunk's stored tokens (the project's
own tokeniser: stop words dropped, Snowball stems, `rag.text.tokenize`) split on whitespace, so Milvus
scores exactly the terms the in-memory bm25s index scores, with bm25s's k1 and b.
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import IndexStoreError
from rag.index_store import CorpusIndex
from rag.milvus_schema import (
    COLLECTION_FORMAT,
    CONSISTENCY,
    ChunkRecord,
    chunk_records,
    collection_schema,
    fit_varchar,
    has_full_text,
    is_lite,
    search_params,
)
from rag.settings import Settings

logger = logging.getLogger(__name__)
_UPSERT_BATCH, _DELETE_BATCH, _SCAN_BATCH = 256, 1000, 4096


class MilvusChunks:
    """The collection of one store's chunks, on Milvus Lite, a server or a cluster."""

    def __init__(self, settings: Settings) -> None:
        if settings.milvus_uri is None:
            raise ValueError("milvus_uri must be set to use Milvus")
        from pymilvus import MilvusClient

        self.settings = settings
        self.uri = settings.milvus_uri
        self.name = settings.milvus_collection
        options: dict[str, Any] = {"uri": self.uri, "timeout": settings.milvus_timeout_s}
        if settings.milvus_token is not None:
            options["token"] = settings.milvus_token.get_secret_value()
        if settings.milvus_db:
            options["db_name"] = settings.milvus_db
        if is_lite(self.uri):
            Path(self.uri).expanduser().parent.mkdir(parents=True, exist_ok=True)
        try:
            with warnings.catch_warnings():  # milvus-lite 2.5.1 imports the deprecated pkg_resources
                warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
                self.client = MilvusClient(**options)
                self.full_text = has_full_text(self._version())
        except Exception as exc:  # pymilvus raises its own and gRPC's errors; say which Milvus failed
            raise IndexStoreError(f"cannot use Milvus at {self.uri}: {exc}") from exc
        # The iterator warns on every scan that 2.3 servers and Lite give no MVCC timestamp; its fallback is fine.
        logging.getLogger("pymilvus.orm.iterator").setLevel(logging.ERROR)
        logger.info("Milvus at %s: BM25 %s", self.uri, "in Milvus" if self.full_text else "ranked locally")

    def _version(self) -> str:
        if is_lite(self.uri):  # Milvus Lite does not implement GetVersion; its package version is its version
            import milvus_lite

            return str(milvus_lite.__version__)
        return str(self.client.get_server_version())

    # --- the collection and its description ---------------------------------------------------------

    def descriptor(self, index: CorpusIndex) -> dict[str, object]:
        build_id = str(index.manifest.get("build_id", ""))
        return {
            "mirrors": "nato-space-rag chunks",
            "format": COLLECTION_FORMAT,
            "store_id": build_id.rsplit("-g", 1)[0],  # build ids are f"{store_id}-g{generation}"
            "dimension": int(index.sentence_vectors.shape[1]),
            "model": (index.manifest.get("model") or {}).get("weights_sha256"),
            "full_text": self.full_text,
            "index": self.settings.milvus_index,
            "analyzer": self.settings.milvus_analyzer if self.full_text else None,
            "consistency": CONSISTENCY,
        }

    def ensure(self, descriptor: dict[str, object]) -> None:
        """The collection exists, describes `descriptor` and is loaded (dropped and rebuilt when it does not)."""
        wanted = json.dumps(descriptor, sort_keys=True)
        if self.client.has_collection(self.name):
            found = self.client.describe_collection(self.name).get("description", "")
            if found == wanted:
                self.client.load_collection(self.name)
                return
            logger.warning("Milvus collection %s describes %s, not %s: rebuilding it", self.name, found, wanted)
            self.client.drop_collection(self.name)
        self._create(wanted, int(descriptor["dimension"]))  # type: ignore[call-overload]

    def _create(self, description: str, dimension: int) -> None:
        schema, index_params = collection_schema(self.client, self.settings, description, dimension, self.full_text)
        self.client.create_collection(
            self.name, schema=schema, index_params=index_params, consistency_level=CONSISTENCY
        )
        self.client.load_collection(self.name)

    # --- synchronisation ------------------------------------------------------------------------------

    def keys(self) -> set[int]:
        """Every chunk key in the collection."""
        return set(self.generations())

    def generations(self) -> dict[int, int]:
        """Chunk key -> generation of the store that wrote it, for every row (read in pages)."""
        found: dict[int, int] = {}
        iterator = self.client.query_iterator(
            self.name, batch_size=_SCAN_BATCH, filter="chunk_key >= 0", output_fields=["chunk_key", "generation"]
        )
        try:
            while page := iterator.next():
                found.update((int(row["chunk_key"]), int(row["generation"])) for row in page)
        finally:
            iterator.close()
        return found

    def sync(self, index: CorpusIndex) -> tuple[int, int]:
        """Bring the collection in step with `index`; returns (chunks upserted, chunks deleted).

        Every row records the generation of the store that wrote it; rows written by a newer generation than
        the view's (another process already mirrored a newer version of the store) are left alone."""
        records = chunk_records(index)
        self.ensure(self.descriptor(index))
        present = self.generations()
        wanted = {r.key for r in records}
        gone = sorted(k for k, generation in present.items() if k not in wanted and generation <= index.generation)
        for batch in _batches(gone, _DELETE_BATCH):
            self.client.delete(self.name, ids=batch)
        missing = [r for r in records if r.key not in present]
        for batch in _batches(missing, _UPSERT_BATCH):
            self.client.upsert(self.name, [self._row(r, index.generation) for r in batch])
        if gone or missing:
            logger.info("Milvus collection %s: %d chunks upserted, %d deleted", self.name, len(missing), len(gone))
        return len(missing), len(gone)

    def _row(self, record: ChunkRecord, generation: int) -> dict[str, object]:
        row: dict[str, object] = {
            "chunk_key": record.key,
            "generation": generation,
            "doc_id": record.doc_id,
            "start_char": record.start,
            "end_char": record.end,
            "text": fit_varchar(record.text),
            "vector": np.asarray(record.vector, dtype=np.float32).tolist(),
        }
        if self.full_text:
            row["terms"] = fit_varchar(record.terms if self.settings.milvus_analyzer == "project" else record.text)
        return row

    # --- searches (keys and scores, best first) ---------------------------------------------------------

    def dense(self, vector: np.ndarray, depth: int) -> list[tuple[int, float]]:
        """(chunk key, inner product = cosine) of the `depth` nearest chunks."""
        hits = self.client.search(
            self.name,
            data=[_floats(vector)],
            anns_field="vector",
            limit=depth,
            search_params={"metric_type": "IP", "params": search_params(self.settings.milvus_index, depth)},
        )
        return [(int(h["id"]), float(h["distance"])) for h in hits[0]]

    def bm25_query(self, query: str, terms: list[str]) -> str:
        """What Milvus's analyzer gets for a query: the project's tokens, or the query itself (`english`)."""
        return " ".join(terms) if self.settings.milvus_analyzer == "project" else query

    def lexical(self, query: str, terms: list[str], depth: int) -> list[tuple[int, float]]:
        """(chunk key, BM25 score) of the `depth` best chunks by Milvus's BM25 (`terms`: `query` tokenised)."""
        if not self.full_text:
            raise IndexStoreError(f"Milvus at {self.uri} has no BM25 function (it needs Milvus 2.5 or later)")
        hits = self.client.search(
            self.name,
            data=[self.bm25_query(query, terms)],
            anns_field="sparse",
            limit=depth,
            search_params={"metric_type": "BM25"},
        )
        return [(int(h["id"]), float(h["distance"])) for h in hits[0]]

    def fused(
        self, vector: np.ndarray, query: str, terms: list[str], depth: int, rrf_k: int
    ) -> list[tuple[int, float, np.ndarray]]:
        """(chunk key, RRF score, vector) of every chunk in the dense or the BM25 top `depth`, fused by
        Milvus (hybrid search with RRFRanker(rrf_k))."""
        from pymilvus import AnnSearchRequest, RRFRanker

        requests = [
            AnnSearchRequest(
                [_floats(vector)],
                "vector",
                {"metric_type": "IP", "params": search_params(self.settings.milvus_index, depth)},
                depth,
            ),
            AnnSearchRequest([self.bm25_query(query, terms)], "sparse", {"metric_type": "BM25"}, depth),
        ]
        hits = self.client.hybrid_search(
            self.name, requests, RRFRanker(rrf_k), limit=2 * depth, output_fields=["vector"]
        )
        return [(int(h["id"]), float(h["distance"]), np.asarray(h["entity"]["vector"], np.float32)) for h in hits[0]]

    def vectors(self, keys: list[int]) -> dict[int, np.ndarray]:
        """The stored vectors of these chunks (those the collection holds)."""
        if not keys:
            return {}
        rows = self.client.get(self.name, ids=keys, output_fields=["vector"])
        return {int(r["chunk_key"]): np.asarray(r["vector"], dtype=np.float32) for r in rows}

    def drop(self) -> None:
        """Remove the collection (tests, and starting over)."""
        if self.client.has_collection(self.name):
            self.client.drop_collection(self.name)


def _floats(vector: np.ndarray) -> list[float]:
    return np.asarray(vector, dtype=np.float32).reshape(-1).tolist()


def _batches(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
