"""The shape of the Milvus collection that mirrors the store's chunks: its fields, indexes and BM25 function,
the records it holds, and what tells whether a Milvus has full-text search. `rag.milvus_collection` uses it.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
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


def collection_schema(
    client: Any, settings: Settings, description: str, dimension: int, full_text: bool
) -> tuple[Any, Any]:
    """(schema, index parameters) of a collection of chunks: key, the store generation that wrote the row,
    citation fields, clean text and vector; with `full_text`, BM25 terms and their sparse vector."""
    from pymilvus import DataType, Function, FunctionType

    schema = client.create_schema(auto_id=False, enable_dynamic_field=False, description=description)
    schema.add_field("chunk_key", DataType.INT64, is_primary=True)
    schema.add_field("generation", DataType.INT64)  # of the store that wrote the row (see MilvusChunks.sync)
    schema.add_field("doc_id", DataType.VARCHAR, max_length=512)
    schema.add_field("start_char", DataType.INT64)
    schema.add_field("end_char", DataType.INT64)
    schema.add_field("text", DataType.VARCHAR, max_length=MAX_VARCHAR_BYTES)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dimension)
    index_params = client.prepare_index_params()
    index_params.add_index(
        "vector", index_type=settings.milvus_index, metric_type="IP", **build_params(settings.milvus_index)
    )
    if full_text:
        schema.add_field(
            "terms",
            DataType.VARCHAR,
            max_length=MAX_VARCHAR_BYTES,
            enable_analyzer=True,
            analyzer_params=ANALYZERS[settings.milvus_analyzer],
        )
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(
            Function(
                name="bm25", function_type=FunctionType.BM25, input_field_names=["terms"], output_field_names=["sparse"]
            )
        )
        index_params.add_index(
            "sparse",
            index_type="SPARSE_INVERTED_INDEX",
            metric_type="BM25",
            params={"bm25_k1": BM25_K1, "bm25_b": BM25_B},
        )
    return schema, index_params


def build_params(index_type: str) -> dict[str, object]:
    if index_type == "HNSW":
        return {"params": {"M": 16, "efConstruction": 200}}
    if index_type == "IVF_FLAT":
        return {"params": {"nlist": 128}}
    return {}


def search_params(index_type: str, depth: int) -> dict[str, object]:
    if index_type == "HNSW":
        return {"ef": max(64, depth)}
    if index_type == "IVF_FLAT":
        return {"nprobe": 16}
    return {}
