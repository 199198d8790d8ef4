"""The one SST-2 reader for benchmarks and tests (GLUE SST-2 dev, Socher et al. 2013); tests import it through
tests.support.sst2. Needs only `make install` (the engine, for problem()).

Reads the studio's bundled copy, `studio/presets/sst2/dev.tsv` (byte for byte the GLUE file in the shared data;
origin and license in `studio/presets/README.md`). Gold labels are returned apart from the engine's examples:
the engine never sees them.
"""
from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]  # benchmarks/_support/sst2.py
DEV_TSV = REPO_ROOT / "studio" / "presets" / "sst2" / "dev.tsv"

# The studio's SST-2 preset prompt, with the official templates' trailing space after "is".
TEMPLATE = "Sentence: {sentence}\nClaim: The sentiment of this sentence is positive.\nI think this claim is "


def rows() -> list[tuple[str, bool]]:
    """(sentence, positive) in file order; the space each sentence has before the tab is stripped."""
    out = []
    for line in DEV_TSV.read_text(encoding="utf-8").splitlines()[1:]:
        sentence, label = line.split("\t")
        out.append((sentence.rstrip(" "), label == "1"))
    return out


def balanced(n: int) -> list[tuple[str, bool]]:
    """The first n/2 positive and first n/2 negative sentences, kept in file order."""
    all_rows = rows()
    pos = [r for r in all_rows if r[1]][: n // 2]
    neg = [r for r in all_rows if not r[1]][: n - n // 2]
    chosen = set(pos) | set(neg)
    return [r for r in all_rows if r in chosen]


def short_positives_then_negatives(n: int, max_words: int = 8) -> list[tuple[str, bool]]:
    """The first n/2 positive then the first n/2 negative sentences of at most max_words words."""
    short = [r for r in rows() if len(r[0].split()) <= max_words]
    half = n // 2
    return [r for r in short if r[1]][:half] + [r for r in short if not r[1]][: n - half]


def shortest(n: int, among: int = 120) -> list[str]:
    """The n shortest of the first `among` sentences (ties in file order)."""
    return sorted((s for s, _ in rows()[:among]), key=len)[:n]


def problem(n: int):
    """An engine Problem of n balanced sentences, and the gold labels by id (kept apart)."""
    from elicitation import Example, Problem

    picked = balanced(n)
    examples = [Example(f"sst2-{k}", TEMPLATE.format(sentence=s)) for k, (s, _) in enumerate(picked)]
    gold = {f"sst2-{k}": y for k, (_, y) in enumerate(picked)}
    return Problem(examples, consistency="none"), gold


def accuracy(labels: dict, gold: dict) -> float:
    """Share of all examples labeled as gold says (an unlabeled example counts as wrong)."""
    return sum(1 for k, y in gold.items() if labels.get(k) == y) / len(gold)
