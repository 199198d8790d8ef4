"""Bundled dataset presets: name -> PresetSpec. `python manage.py import_dataset NAME` loads one.

The data files ship in studio/presets/ (see its README for origins, licenses and sha256s). Prompt
templates are the official ICM code's (Jiaxin-Wen/Unsupervised-Elicitation, src/experiments/ICM.py),
ending "I think this claim is"; the label words " True"/" False" follow it, so prompt + word reads
exactly as the official prompt + "True"/"False".
"""
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .builders import blog_gender, gsm8k, pairs, sst2, truthfulqa

PRESET_DATA_DIR = Path(__file__).resolve().parents[2] / "presets"
ENDING = "I think this claim is"

ICM_DATA_CREDIT = (
    "ICM paper data files (Wen et al. 2025, \"Unsupervised Elicitation of Language Models\", arXiv 2506.10139), "
    "read by the official code Jiaxin-Wen/Unsupervised-Elicitation; copied byte for byte from {origin}. "
    "No license is stated for these files; {underlying} Used unchanged, for research."
)
YD_PEI = "yd-pei/Unsupervised_Persona_Elicitation@ae9f6826b38f99c2decd404ffbd1cf23cb2c5efb (data/{file})"
ZEYNAB = "ZeynabSamei/Unsupervised-Elicitation-modified@48a44a40f374ea9510a3680f89035ee56906b011 (data/{file})"
STUDIO_SPLIT = "The source is one file; the studio splits its {unit}s 50/50 into train and test (seeded, by {unit})."


@dataclass(frozen=True)
class KeyVariant:
    """An alternative source of consistency keys, e.g. the official code's gold-derived TruthfulQA keys."""

    title: str
    consistency: str
    gold_derived: bool
    note: str


@dataclass(frozen=True)
class PresetSpec:
    name: str
    title: str  # the Dataset's name
    build: Callable[[Path, str | None], Iterator]
    files: tuple[str, ...]
    task_type: str
    consistency: str
    question: str
    prompt_template: str
    display_fields: tuple[str, ...]
    description: str
    source: str
    guidelines: str = ""
    true_word: str = " True"
    false_word: str = " False"
    key_variants: dict = field(default_factory=dict)
    max_chars: int | None = None  # Dataset.max_chars: each field's text in a prompt, cut beyond this

    def dataset_title(self, keys: str | None) -> str:
        return self.key_variants[keys].title if keys else self.title

    def dataset_attrs(self, keys: str | None) -> dict:
        variant = self.key_variants.get(keys) if keys else None
        description = self.description + (f"\n\n{variant.note}" if variant else "")
        return {
            "preset": self.name,
            "task_type": self.task_type,
            "consistency": variant.consistency if variant else self.consistency,
            "gold_derived_metadata": bool(variant and variant.gold_derived),
            "description": description,
            "question": self.question,
            "guidelines": self.guidelines,
            "prompt_template": self.prompt_template,
            "true_word": self.true_word,
            "false_word": self.false_word,
            "display_fields": list(self.display_fields),
            "source": self.source,
            "max_chars": self.max_chars,
        }


TRUTHFULQA = PresetSpec(
    name="truthfulqa",
    title="TruthfulQA",
    build=truthfulqa.build,
    files=("icm-wen2025/train_truthfulqa.json", "icm-wen2025/test_truthfulqa.json"),
    task_type="claim",
    consistency="none",
    question="Is this answer to the question true?",
    prompt_template="Question: {question}\nClaim: {choice}\n" + ENDING,
    display_fields=("question", "choice"),
    description=(
        "Candidate answers to TruthfulQA questions (Lin, Hilton & Evans 2022), each a claim that is true or "
        "false: 2,608 train (652 questions, 4 answers each) and 1,000 test (144 questions). Group = question. "
        "No consistency keys: the official code's keys are built from the gold labels (import with "
        "--keys official to replicate that)."
    ),
    source=ICM_DATA_CREDIT.format(
        origin=YD_PEI.format(file="train_truthfulqa.json, test_truthfulqa.json"),
        underlying="TruthfulQA itself is Apache-2.0 (sylinrl/TruthfulQA).",
    ),
    guidelines="Read the question and the proposed answer. Answer **True** if the answer is factually true, "
    "**False** if it is false or a common misconception.",
    key_variants={
        "official": KeyVariant(
            title="TruthfulQA (official gold-derived keys)",
            consistency="keys",
            gold_derived=True,
            note="GOLD-DERIVED METADATA: consistency keys are the official code's 'A' if label else 'B', i.e. "
            "the gold labels. Runs on this dataset leak the answer; use it only to replicate the paper and "
            "to measure what the leak is worth.",
        )
    },
)

TRUTHFULQA_PREFERENCE = PresetSpec(
    name="truthfulqa-preference",
    title="TruthfulQA preference",
    build=pairs.build_preference,
    files=("icm-wen2025/train_truthfulqa_preference.json", "icm-wen2025/test_truthfulqa_preference.json"),
    task_type="comparison",
    consistency="comparison",
    question="Is Answer 1 more truthful than Answer 2?",
    prompt_template=(
        "Question: {question}\nAnswer 1: {choice}\nAnswer 2: {choice_2}\n"
        "Claim: Answer 1 is more truthful than Answer 2.\n" + ENDING
    ),
    display_fields=("question", "choice", "choice_2"),
    description=(
        "Pairs of TruthfulQA answers compared for truthfulness, each pair in both orders: 7,250 train and "
        "5,882 test comparisons (3,625 + 2,941 pairs). Group = pair; exactly one order's claim is true. "
        "Key = the order's orientation read from the text (\"A>B\" for the order whose Answer 1 sorts first), "
        "never from gold. Note: 77 test questions also appear in train (see the data README)."
    ),
    source=ICM_DATA_CREDIT.format(
        origin=ZEYNAB.format(file="train_truthfulqa_preference.json, test_truthfulqa_preference.json"),
        underlying="TruthfulQA itself is Apache-2.0 (sylinrl/TruthfulQA).",
    ),
    guidelines="Read the question and both answers. Answer **True** if Answer 1 is more truthful than Answer 2.",
)

GSM8K_VERIFICATION = PresetSpec(
    name="gsm8k-verification",
    title="GSM8K verification",
    build=gsm8k.build,
    files=("icm-wen2025/test_gsm8k.json",),
    task_type="claim",
    consistency="keys",
    question="Is this solution to the math problem correct?",
    prompt_template="Question: {question}\nClaim: {cot}\n" + ENDING,
    display_fields=("question", "cot"),
    description=(
        "Candidate solutions to GSM8K test problems (Cobbe et al. 2021), 4 per problem: 2,972 solutions to 743 "
        "problems. Group = problem; key = the final answer read from the solution text (solutions that reach "
        "the same answer should both be right or both wrong; different answers cannot both be right). "
        + STUDIO_SPLIT.format(unit="problem")
    ),
    source=ICM_DATA_CREDIT.format(
        origin=YD_PEI.format(file="test_gsm8k.json"),
        underlying="GSM8K itself is MIT (openai/grade-school-math).",
    ),
    guidelines="Read the problem and the proposed solution. Answer **True** only if the reasoning and the final "
    "answer are both correct.",
    key_variants={
        "official": KeyVariant(
            title="GSM8K verification (official answer-string keys)",
            consistency="keys",
            gold_derived=False,
            note="Keys are the stated answers as written, like the official code's `answer` key: \"$27\" and "
            "\"27\" count as different answers. Read from the text, not from gold.",
        )
    },
)

ALPACA = PresetSpec(
    name="alpaca",
    title="Alpaca helpfulness",
    build=pairs.build_alpaca,
    files=("icm-wen2025/test_alpaca.json",),
    task_type="comparison",
    consistency="comparison",
    question="Is Response 1 more helpful and harmless than Response 2?",
    prompt_template=(
        "Human: {question}\nResponse 1: {choice}\nResponse 2: {choice_2}\n"
        "Claim: Response 1 is more helpful and harmless than Response 2.\n" + ENDING
    ),
    display_fields=("question", "choice", "choice_2"),
    description=(
        "Pairs of responses to instructions compared for helpfulness, each pair in both orders: 934 comparisons "
        "(467 pairs). Group = pair; key = orientation read from the text. Each pair carries the real crowd "
        "annotators' votes (4 per pair, 5 on one; 1,869 in all), imported as crowd-vote human labels on both "
        "orders (3,738, the swapped order's votes negated); who cast them is unknown, so a vote position is "
        "not a person. Gold = the majority vote. " + STUDIO_SPLIT.format(unit="pair")
        + " Unlike the official code, line breaks inside responses are kept in the prompt."
    ),
    source=ICM_DATA_CREDIT.format(
        origin=YD_PEI.format(file="test_alpaca.json"),
        underlying="the data appear to come from AlpacaFarm's human cross-annotations, which its authors release "
        "under CC BY-NC 4.0 (non-commercial).",
    ),
    guidelines="Read the instruction and both responses. Answer **True** if Response 1 is more helpful and "
    "harmless than Response 2.",
)

BLOG_GENDER = PresetSpec(
    name="blog-gender",
    title="Blog authorship gender",
    build=blog_gender.build,
    files=("blog-authorship-gender/blog_gender_balanced_5000.jsonl",),
    task_type="comparison",
    consistency="comparison",
    question="Is Post A more likely written by a man than Post B?",
    prompt_template=(
        "Post A: {post_a}\nPost B: {post_b}\n"
        "Claim: Post A is more likely written by a man than Post B.\n" + ENDING
    ),
    display_fields=("post_a", "post_b"),
    description=(
        "The paper's \"superhuman\" study: two blog posts, one by a man and one by a woman, and the claim "
        "\"Post A is more likely written by a man than Post B\". 5,000 posts from the Blog Authorship Corpus "
        "(one per blogger, 2,500 by women, 2,500 by men) are paired with a fixed seed, every post in exactly one "
        "pair: 2,500 pairs, each in both orders, so 5,000 comparisons and half the claims true. Group = pair; "
        "key = orientation read from the text. " + STUDIO_SPLIT.format(unit="pair")
        + " Gold = the bloggers' self-reported gender. Posts are personal texts; some authors were aged 13-17."
    ),
    source=(
        "Blog Authorship Corpus (Schler, Koppel, Argamon & Pennebaker 2006, \"Effects of Age and Gender on "
        "Blogging\"), from muhwagua/color-bert@8db0aa36e484494531f03bca15e8cc280020b9ff (blogs/); a documented "
        "random subset of 5,000 posts (one per blogger, seed 20250611; see studio/presets/README.md). Terms: "
        "\"The corpus may be freely used for non-commercial research purposes.\""
    ),
    guidelines="Read both posts. Answer **True** if you think Post A is more likely than Post B to be written by "
    "a man. Exactly one of the two posts is by a man.",
    # Posts run to 127,000 characters (99th percentile about 8,800): whole, a prompt is 796 tokens on average
    # (SmolLM2's tokenizer), so its 8,192-token context holds 9 demonstrations and the query. Cut at 600
    # characters a prompt + label is 280 tokens on average (90th percentile 349, 99th 433): about 28
    # demonstrations fit (22 of the 90th percentile's length).
    max_chars=600,
)

SST2 = PresetSpec(
    name="sst2",
    title="SST-2 sentiment",
    build=sst2.build,
    files=("sst2/train.tsv", "sst2/dev.tsv"),
    task_type="text",
    consistency="none",
    question="Is the sentiment of this sentence positive?",
    prompt_template="Sentence: {sentence}\nClaim: The sentiment of this sentence is positive.\n" + ENDING,
    display_fields=("sentence",),
    description=(
        "Movie-review snippets from the Stanford Sentiment Treebank, binary GLUE version (Socher et al. 2013): "
        "67,349 train phrases and the 872 dev sentences (imported as the test split), with the claim that the "
        "sentiment is positive. No consistency rules. Text is lower-cased and tokenized as in GLUE."
    ),
    source=(
        "GLUE SST-2 train.tsv and dev.tsv, byte-identical to GLUE's SST-2.zip, from "
        "tacchinotacchi/distil-bilstm@44d3abb1ef7f54d000d95f2634b9b2a275cd4b01 (SST-2/). No license is stated; "
        "cite Socher et al. 2013 (EMNLP) as GLUE asks. Used unchanged, for research."
    ),
    guidelines="Answer **True** if the sentence expresses a positive sentiment, **False** if negative.",
)

PRESETS: dict[str, PresetSpec] = {
    spec.name: spec for spec in (TRUTHFULQA, TRUTHFULQA_PREFERENCE, GSM8K_VERIFICATION, ALPACA, BLOG_GENDER, SST2)
}
