"""A gate on what a quote is about: measured on the tuning side (dev, training questions, chains), not
adopted. The test split is never read.

    .venv/bin/python eval/referent_gate.py [values|kinds|all] [--document]

The commonest near miss left states a value of the asked kind that belongs to another subject
("Luxembourg provided an early contribution of EUR 16.5 million" for "How much money did Sweden
contribute?"). An earlier gate ("the question's rarest name must be in the candidate's paragraph", README)
lost answers to paraphrases. This one is narrower: a candidate is dropped only when its paragraph (or, with
`--document`, its whole document) states none of the names the question uses, *and* its quote names
another thing instead. A word is a name as `rag/subject.py` reads
it (written capitalised mid-sentence at least half the times, used by at most 10% of the sentences; so
"NATO" in this corpus is not one); the question's names the corpus never uses are not read
(a paraphrase may rename a thing). Scope: questions asking for a value (values), also those the
answer-kind check reads as asking for a kind of name (kinds), or all.

Then it runs `rag eval --split dev|train|chains --no-peer` with the gate in place, writing its runs to
eval/results/referent-<scope>/ for `rag eval --compare` against a run without it. Since 2026-12-08 the
answerer's own subject check (`rag/subject.py`, a narrower successor of this gate) runs under it too.
"""

from __future__ import annotations

import sys
from dataclasses import replace

from rag.answer_types import AnswerType, expected_type
from rag.answering import ExtractiveAnswerer, JudgedReading
from rag.cli import app
from rag.kind_check import answer_check
from rag.subject import CITED_SOURCE
from rag.text import tokenize

VALUES = (AnswerType.DATE, AnswerType.COUNT, AnswerType.AMOUNT)


def install(scope: str, document: bool, source: bool = False) -> None:
    """Wrap `ExtractiveAnswerer.judge_reading` so that every reading's candidates pass the gate."""
    original = ExtractiveAnswerer.judge_reading
    documents: dict[str, frozenset[str]] = {}

    def gated(self: ExtractiveAnswerer, reading, vector, k, before=None) -> JudgedReading:
        judged = original(self, reading, vector, k, before)
        if scope != "all" and answer_check(reading.type_question) is None:
            return judged
        if scope == "values" and expected_type(reading.type_question) not in VALUES:
            return judged
        lexicon = self.subjects.lexicon  # the names `rag/subject.py` reads
        asked_text = CITED_SOURCE.sub(" ", reading.terms_of) if source else reading.terms_of
        question = frozenset(tokenize([asked_text])[0])
        asked = question & lexicon.names
        if not asked:
            return judged
        stats = self.stats
        kept = []
        for c in judged.candidates:
            if document:
                if c.doc_id not in documents:
                    documents[c.doc_id] = frozenset(tokenize([self.index.documents[c.doc_id].text])[0])
                about = documents[c.doc_id]
            else:
                about = stats.paragraph_tokens[c.sentence_id]
            quote = stats.sentence_tokens[c.sentence_id]
            if c.extended:
                quote = quote | stats.sentence_tokens[c.sentence_id - 1]
            if asked & about or not ((quote & lexicon.names) - question):
                kept.append(c)
        return replace(judged, candidates=kept, confidence=kept[0].score if kept else 0.0)

    ExtractiveAnswerer.judge_reading = gated


def main() -> None:
    args = sys.argv[1:]
    scope = next((a for a in args if a in ("values", "kinds", "all")), "values")
    document = "--document" in args
    source = "--source" in args
    install(scope, document, source)
    out = f"eval/results/referent-{scope}{'-document' if document else ''}{'-source' if source else ''}"
    for split in ("dev", "train", "chains"):
        try:
            app(["eval", "--split", split, "--no-peer", "--out", out])
        except SystemExit as exc:
            if exc.code:
                raise


if __name__ == "__main__":
    main()
