"""Score probe questions kept in no split (`eval/probes/*.jsonl`): written from the documents by a helper
who never ran the service, to check a change on questions nobody tuned on besides dev, train and chains.
They have no gold evidence spans, so `rag eval` does not read them: an answerable probe counts as right when
one of its `answers` is in the quotes, an unanswerable one when the answer abstains. A probe whose `sides` are
two lists of strings (`eval/probes/disagreements.jsonl`) also counts whether the quotes show both sides: a
string of each list in them.

    .venv/bin/python eval/probe_answers.py eval/probes/pointing_chats.jsonl [--out run.json]
    .venv/bin/python eval/probe_answers.py --compare before.json after.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rag.chat import Turn  # noqa: E402
from rag.service import load_components  # noqa: E402
from rag.settings import Settings  # noqa: E402


def score(path: Path) -> dict[str, dict]:
    answerer = load_components(Settings()).answerer
    results: dict[str, dict] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        answer = answerer.answer(item["question"], history=[Turn(**t) for t in item["history"]] or None)
        quotes = " ".join(c.quote for c in answer.citations)
        answerable = bool(item["answers"])
        right = (not answer.abstained and any(a in quotes for a in item["answers"])) if answerable else answer.abstained
        sides = [side for side in item.get("sides", []) if isinstance(side, list)]
        results[item["id"]] = {
            "answerable": answerable,
            "right": right,
            "both_sides": all(any(s in quotes for s in side) for side in sides) if len(sides) == 2 else None,
            "abstained": answer.abstained,
            "question": item["question"],
            "read_as": answer.read_as,
            "quotes": quotes,
        }
    return results


def summary(results: dict[str, dict]) -> str:
    rows = []
    for answerable, name in ((True, "answerable: right"), (False, "unanswerable: abstained")):
        chosen = [r for r in results.values() if r["answerable"] is answerable]
        rows.append(f"{name} {sum(r['right'] for r in chosen)} of {len(chosen)}")
    two_sided = [r["both_sides"] for r in results.values() if r.get("both_sides") is not None]
    if two_sided:
        rows.append(f"both sides shown {sum(two_sided)} of {len(two_sided)}")
    return "; ".join(rows)


def compare(before: dict[str, dict], after: dict[str, dict]) -> None:
    print(f"before: {summary(before)}\nafter:  {summary(after)}")
    for key, b in before.items():
        a = after[key]
        if a["right"] != b["right"] or a["quotes"] != b["quotes"] or a.get("both_sides") != b.get("both_sides"):
            change = f"{'right' if b['right'] else 'wrong'} -> {'right' if a['right'] else 'wrong'}"
            print(f"- {key} ({change}): {b['question']}\n    read as {a['read_as']!r}: {a['quotes'][:120]!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("probes", nargs="?", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    args = parser.parse_args()
    if args.compare:
        before, after = (json.loads(p.read_text(encoding="utf-8")) for p in args.compare)
        compare(before, after)
        return
    if args.probes is None:
        parser.error("give a probe file, or --compare BEFORE AFTER")
    results = score(args.probes)
    print(summary(results))
    if args.out:
        args.out.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
