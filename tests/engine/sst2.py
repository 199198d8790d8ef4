"""SST-2 examples for the engine's tests, benchmark and measurements (GLUE SST-2, Socher et al. 2013).

Reads the shared data (`<repo>/../shared/data/sst2/dev.tsv`) when it is there, else the copied fixture
`tests/engine/data/sst2_dev_head67.tsv` (the first 67 rows of the same file). Gold labels are returned apart
from the examples: the engine never sees them.
"""
from __future__ import annotations

from pathlib import Path

from elicitation import Example, Problem

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
FIXTURE = HERE / "data" / "sst2_dev_head67.tsv"
SHARED = REPO_ROOT.parent / "shared" / "data" / "sst2" / "dev.tsv"

# The studio's SST-2 preset prompt, with the official templates' trailing space after "is".
TEMPLATE = "Sentence: {sentence}\nClaim: The sentiment of this sentence is positive.\nI think this claim is "


def rows(path: Path | None = None) -> list[tuple[str, bool]]:
    """(sentence, positive) in file order; the trailing space before the tab is stripped."""
    path = path or (SHARED if SHARED.is_file() else FIXTURE)
    out = []
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        sentence, label = line.split("\t")
        out.append((sentence.rstrip(" "), label == "1"))
    return out


def balanced(n: int, path: Path | None = None) -> list[tuple[str, bool]]:
    """The first n/2 positive and first n/2 negative sentences, kept in file order."""
    all_rows = rows(path)
    pos = [r for r in all_rows if r[1]][: n // 2]
    neg = [r for r in all_rows if not r[1]][: n - n // 2]
    chosen = set(pos) | set(neg)
    return [r for r in all_rows if r in chosen]


def problem(n: int, path: Path | None = None) -> tuple[Problem, dict[str, bool]]:
    """A Problem of n balanced SST-2 dev sentences, and the gold labels by id (kept apart)."""
    picked = balanced(n, path)
    examples = [Example(f"sst2-{k}", TEMPLATE.format(sentence=s)) for k, (s, _) in enumerate(picked)]
    gold = {f"sst2-{k}": y for k, (_, y) in enumerate(picked)}
    return Problem(examples, consistency="none"), gold


def accuracy(labels: dict, gold: dict) -> float:
    """Share of all examples labeled as gold says (an unlabeled example counts as wrong)."""
    return sum(1 for k, y in gold.items() if labels.get(k) == y) / len(gold)
