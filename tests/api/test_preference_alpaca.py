"""The `alpaca` preset's preference export round-trips: every line's chosen and rejected responses are the
two responses of one pair of the source file, under that pair's instruction, chosen by the elicited label."""
import io
import json
import random

from django.core.management import call_command
from rest_framework.test import APIClient

from studio.models import Dataset, ElicitationRun, ElicitedLabel, GoldLabel
from studio.services.importing.text import decode_entities
from tests.conftest import SHARED_DATA

ALPACA_FILE = SHARED_DATA / "icm-wen2025" / "test_alpaca.json"


def _run_with_labels(dataset, labels: dict) -> ElicitationRun:
    run = ElicitationRun.objects.create(dataset=dataset, state="completed", fingerprint="alpaca-export")
    ElicitedLabel.objects.bulk_create(
        [ElicitedLabel(run=run, example_id=pk, label=label, score=1.5 if label else -1.5,
                       kind=ElicitedLabel.Kind.ELICITED) for pk, label in labels.items()]
    )
    return run


def _export(client, run) -> list[dict]:
    response = client.get(f"/api/runs/{run.pk}/export/?format=jsonl&style=preference")
    assert response.status_code == 200
    return [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]


def test_alpaca_preference_export_round_trips(db, admin_user):
    call_command("import_dataset", "alpaca", stdout=io.StringIO())
    dataset = Dataset.objects.get(preset="alpaca")
    examples = {ex.external_id: ex for ex in dataset.examples.all()}
    d = decode_entities  # the import decodes HTML entities (the raw text is kept beside)
    source_pairs = {(d(row["question"]), frozenset((d(row["choice"]), d(row["choice_2"]))))
                    for row in json.load(open(ALPACA_FILE))}
    client = APIClient()
    client.force_authenticate(admin_user)

    rng = random.Random(7)
    run = _run_with_labels(dataset, {ex.pk: rng.random() < 0.5 for ex in examples.values()})
    labels = dict(run.labels.values_list("example__external_id", "label"))
    lines = _export(client, run)
    assert len(lines) == len(examples) == 934
    for line in lines:
        assert set(line) == {"id", "prompt", "chosen", "rejected", "kind", "batch"} and line["kind"] == "elicited"
        assert (line["prompt"], frozenset((line["chosen"], line["rejected"]))) in source_pairs
        assert line["chosen"] != line["rejected"]
        fields = examples[line["id"]].fields
        assert line["chosen"] == (fields["choice"] if labels[line["id"]] else fields["choice_2"])

    # With the gold labels as the "elicited" ones, both orders of a pair prefer the same response: the
    # crowd's majority choice.
    gold = dict(GoldLabel.objects.filter(example__dataset=dataset).values_list("example_id", "label"))
    lines = _export(client, _run_with_labels(dataset, gold))
    by_group: dict[str, set] = {}
    for line in lines:
        by_group.setdefault(examples[line["id"]].group, set()).add((line["chosen"], line["rejected"]))
    assert len(by_group) == 467 and all(len(triples) == 1 for triples in by_group.values())
