"""Study templates: the paper's protocol (Wen et al. 2025 §4.3) laid over each preset, and `custom` for any
imported dataset. Sizes count examples: a sample takes whole consistency groups (a blog-gender pair is 2
examples, a TruthfulQA question 4 answers, ...), the requested size or the nearest total below it.

Each template has two designs: "paper" (the paper's sizes) and "reduced" (a design the bundled model on a CPU
finishes in well under an hour: a few pairs, a short search, one repeat). designs.py estimates both from the
workers' measured throughput and offers the one this deployment can finish. Either way the ICM run's settings
name their iterations: a study never falls back to the engine's 3,000-iteration default."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

CUSTOM = "custom"
PAPER, REDUCED = "paper", "reduced"
DESIGNS = {PAPER: "the paper's design", REDUCED: "reduced design (for this deployment)"}


@dataclass(frozen=True)
class StudyTemplate:
    key: str
    title: str
    description: str
    preset: str | None          # the dataset's preset it applies to; None = any dataset (custom)
    icm_pool_size: int          # train examples ICM labels
    people_train_size: int      # of those, how many people label too (the "people's labels" demonstrations)
    test_size: int              # test examples people label and every condition is scored on
    annotators_per_item: int    # k
    human_condition: str = "people"   # "people" or "crowd" (imported votes)
    repeats: int = 3
    train_split: str = "train"
    test_split: str = "test"
    icm_pool_seed: int = 0
    test_seed: int = 0
    settings: dict = field(default_factory=dict)  # the ICM run's hyperparameters (always with its iterations)
    reduced: dict = field(default_factory=dict)   # the reduced design: the values it changes

    def defaults(self, design: str = PAPER) -> dict:
        out = asdict(self)
        for name in ("key", "title", "description", "preset", "reduced"):
            out.pop(name)
        out["settings"] = {"iterations": 2 * self.icm_pool_size, **self.settings}
        if design == REDUCED:
            out.update({k: v for k, v in self.reduced.items() if k != "settings"})
            out["settings"] = {**out["settings"], **self.reduced.get("settings", {})}
        return out


def _reduced(pool: int, people: int, test: int, k: int, *, max_demos: int = 4, iterations: int = 8,
             initial_labels: int = 4) -> dict:
    """A design the bundled model on a CPU finishes: `pool` train examples, `people` of them labeled, `test`
    test examples, k people each, one repeat, a short search with few demonstrations per prompt."""
    return {"icm_pool_size": pool, "people_train_size": people, "test_size": test, "annotators_per_item": k,
            "repeats": 1, "settings": {"iterations": iterations, "initial_labels": initial_labels,
                                       "max_demos": max_demos}}


TEMPLATES: dict[str, StudyTemplate] = {t.key: t for t in (
    StudyTemplate(
        key="blog-gender", title="Blog authorship gender (the paper's superhuman study)", preset="blog-gender",
        description="5 annotators each label 48 train pairs (the people's demonstrations) and 100 test pairs; "
        "ICM labels a pool of 128 train pairs that holds the people's 48, so every condition's demonstrations "
        "are the same posts; the model is scored on the 100 test pairs with each condition's labels.",
        icm_pool_size=256, people_train_size=96, test_size=200, annotators_per_item=5,
        # 16 demonstrations per prompt: at the preset's 600 characters a post is about 280 tokens (p99 433), so
        # 16 fit the bundled model's 8,192-token context; without a cap 256 examples overflow it (ContextTooLong)
        settings={"max_demos": 16}, reduced=_reduced(16, 8, 8, 3)),
    StudyTemplate(
        key="truthfulqa", title="TruthfulQA claims", preset="truthfulqa",
        description="3 annotators label 8 train questions (4 answers each) and 50 test questions; ICM labels 64 "
        "train questions holding the people's 8.",
        icm_pool_size=256, people_train_size=32, test_size=200, annotators_per_item=3,
        reduced=_reduced(16, 8, 16, 3)),
    StudyTemplate(
        key="gsm8k-verification", title="GSM8K solution verification", preset="gsm8k-verification",
        description="3 annotators check 8 train problems' solutions (4 each) and 50 test problems'; ICM labels 64 "
        "train problems holding the people's 8.",
        icm_pool_size=256, people_train_size=32, test_size=200, annotators_per_item=3,
        reduced=_reduced(16, 8, 16, 3)),
    StudyTemplate(
        key="alpaca", title="Alpaca helpfulness (crowd votes as the people)", preset="alpaca",
        description="The human condition is the dataset's imported crowd votes (4-5 per pair): nobody labels in "
        "the studio. ICM labels 128 train pairs; the crowd's majority on the same pairs gives the people's "
        "demonstrations; 100 test pairs.",
        icm_pool_size=256, people_train_size=0, test_size=200, annotators_per_item=0, human_condition="crowd",
        reduced={**_reduced(16, 0, 8, 0)}),
    StudyTemplate(
        key="sst2", title="SST-2 sentiment", preset="sst2",
        description="3 annotators label 32 train sentences and 200 test sentences; ICM labels 256 train "
        "sentences holding the people's 32.",
        icm_pool_size=256, people_train_size=32, test_size=200, annotators_per_item=3,
        reduced=_reduced(16, 8, 16, 3)),
    StudyTemplate(
        key=CUSTOM, title="Custom (any imported dataset with train and test splits)", preset=None,
        description="Choose the sizes: ICM's train pool, the people's train items inside it, the test items, "
        "and k annotators per item.",
        icm_pool_size=64, people_train_size=16, test_size=50, annotators_per_item=3,
        reduced=_reduced(16, 8, 16, 3)),
)}


def templates_for(dataset) -> list[StudyTemplate]:
    """The templates that apply to `dataset`: its preset's (if any), and custom."""
    return [t for t in TEMPLATES.values() if t.preset is None or t.preset == dataset.preset]
