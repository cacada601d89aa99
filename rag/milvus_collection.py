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

import contextlib
import json
import logging
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import IndexDamaged, IndexStoreError
from rag.index_store import CorpusIndex
from rag.settings import Settings

logger = logging.getLogger(__name__)

COLLECTION_FORMAT = 2
MAX_VARCHAR_BYTES = 65_535  # Milvus's limit for a VARCHAR field
# Read-your-writes for this client (it synchronises before it serves a view) without Strong's wait for the
# server's time tick on every search (~390 ms a search on a 2.3.5 server, against ~8 ms).
CONSISTENCY = "Session"
BM25_K1, BM25_B = 1.5, 0.75  # bm25s's defaults, which the in-memory ranking uses
# BM25's analyzer: `project` splits the chunk's stored tokens (rag.text.tokenize: stop words and question
# words dropped, possessives removed, Snowball stems), so Milvus scores the terms bm25s scores; `english` is
# Milvus's own English analyzer over the clean chunk text (measured against it: see docs/milvus.md).
ANALYZERS: dict[str, dict[str, object]] = {"project": {"tokenizer": "whitespace"}, "english": {"type": "english"}}
_UPSERT_BATCH, _DELETE_BATCH, _SCAN_BATCH = 256, 1000, 4096


@dataclass(frozen=True, slots=True)
class ChunkRecord:
    """One chunk as the collection holds it; `position` is its place in the view's `chunks`."""

    key: int
    position: int
    doc_id: str
    start: int
    end: int
    text: str
    terms: str
    vector: np.ndarray


def chunk_records(index: CorpusIndex) -> list[ChunkRecord]:
    """The view's chunks with their store keys, in the view's order (documents by id, chunks in order)."""
    records: list[ChunkRecord] = []
    for doc_id in sorted(index.entries):
        entry = index.entries[doc_id]
        for row, text, vector in zip(entry.chunk_rows, entry.chunk_texts, entry.chunk_vectors, strict=True):
            position = len(records)
            chunk = index.chunks[position] if position < len(index.chunks) else None
            if chunk is None or (chunk.doc_id, chunk.start, chunk.end) != (doc_id, row.start, row.end):
                raise IndexDamaged(f"chunk {position} of the view does not match the store's chunk {row.chunk_key}")
            records.append(
                ChunkRecord(row.chunk_key, position, doc_id, row.start, row.end, text, " ".join(row.tokens), vector)
            )
    if len(records) != len(index.chunks):
        raise IndexDamaged(f"the view has {len(index.chunks)} chunks but its documents hold {len(records)}")
    return records


def fit_varchar(text: str) -> str:
    """`text` cut to Milvus's VARCHAR limit on a character boundary (the offsets, not this text, make citations)."""
    data = text.encode("utf-8")
    return text if len(data) <= MAX_VARCHAR_BYTES else data[:MAX_VARCHAR_BYTES].decode("utf-8", "ignore")


def has_full_text(version: str) -> bool:
    """Whether a Milvus of this version string ('v2.3.5-lite', '2.5.1', '... Compatible with Milvus 2.5')
    has the BM25 function: from 2.5 on."""
    found = re.findall(r"(\d+)\.(\d+)", version)
    if not found:
        logger.warning("cannot tell the Milvus version from %r: BM25 is ranked locally", version)
        return False
    major, minor = (int(x) for x in found[-1])
    return (major, minor) >= (2, 5)


@contextlib.contextmanager
def milvus_errors(action: str, uri: str) -> Iterator[None]:
    """Milvus's and gRPC's errors as IndexStoreError (the API answers 503), naming what failed where."""
    import grpc
    from pymilvus.exceptions import MilvusException

    try:
        yield
    except (MilvusException, grpc.RpcError) as exc:
        raise IndexStoreError(f"cannot {action} in Milvus at {uri}: {exc}") from exc


def is_lite(uri: str) -> bool:
    return not uri.startswith(("http://", "https://"))


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
        from pymilvus import DataType, Function, FunctionType

        schema = self.client.create_schema(auto_id=False, enable_dynamic_field=False, description=description)
        schema.add_field("chunk_key", DataType.INT64, is_primary=True)
        schema.add_field("generation", DataType.INT64)  # of the store that wrote the row (see `sync`)
        schema.add_field("doc_id", DataType.VARCHAR, max_length=512)
        schema.add_field("start_char", DataType.INT64)
        schema.add_field("end_char", DataType.INT64)
        schema.add_field("text", DataType.VARCHAR, max_length=MAX_VARCHAR_BYTES)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
        index_params = self.client.prepare_index_params()
        index_params.add_index(
            "vector",
            index_type=self.settings.milvus_index,
            metric_type="IP",
            **_build_params(self.settings.milvus_index),
        )
        if self.full_text:
            schema.add_field(
                "terms",
                DataType.VARCHAR,
                max_length=MAX_VARCHAR_BYTES,
                enable_analyzer=True,
                analyzer_params=ANALYZERS[self.settings.milvus_analyzer],
            )
            schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
            schema.add_function(
                Function(
                    name="bm25",
                    function_type=FunctionType.BM25,
                    input_field_names=["terms"],
                    output_field_names=["sparse"],
                )
            )
            index_params.add_index(
                "sparse",
                index_type="SPARSE_INVERTED_INDEX",
                metric_type="BM25",
                params={"bm25_k1": BM25_K1, "bm25_b": BM25_B},
            )
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
            search_params={"metric_type": "IP", "params": _search_params(self.settings.milvus_index, depth)},
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
                {"metric_type": "IP", "params": _search_params(self.settings.milvus_index, depth)},
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


def _build_params(index_type: str) -> dict[str, object]:
    if index_type == "HNSW":
        return {"params": {"M": 16, "efConstruction": 200}}
    if index_type == "IVF_FLAT":
        return {"params": {"nlist": 128}}
    return {}


def _search_params(index_type: str, depth: int) -> dict[str, object]:
    if index_type == "HNSW":
        return {"ef": max(64, depth)}
    if index_type == "IVF_FLAT":
        return {"nprobe": 16}
    return {}


def _batches(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
