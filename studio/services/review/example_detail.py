"""Everything known about one example, for reviewers: its text, every label with who gave it, when and how
long they took, each run's label and score, the latest evaluation's predictions, and gold."""
from __future__ import annotations

from studio.models import ElicitedLabel, Example, GoldLabel, HumanLabel
from studio.services.export.styles import display_field_names

from .sources import latest_evaluation


def example_detail(example: Example) -> dict:
    dataset = example.dataset
    fields = example.fields or {}
    shown = display_field_names(dataset) or list(fields)
    humans = (HumanLabel.objects.filter(example=example).select_related("annotator")
              .order_by("source", "created_at", "pk"))
    people = []
    for h in humans:
        who = h.annotator.get_username() if h.annotator_id else f"crowd vote #{h.crowd_voter}"
        people.append({"who": who, "source": h.source, "label": h.label, "seconds_spent": h.seconds_spent,
                       "created_at": h.created_at.isoformat()})
    elicited = [
        {"run_id": e.run_id, "run_state": e.run.state, "model": e.run.model, "label": e.label, "score": e.score,
         "kind": e.kind, "batch": e.batch,
         "finished_at": e.run.finished_at.isoformat() if e.run.finished_at else None}
        for e in ElicitedLabel.objects.filter(example=example).select_related("run").order_by("run_id")
    ]
    predictions = []
    evaluation = latest_evaluation(dataset)
    if evaluation is not None:
        results = evaluation.results or {}
        ids = results.get("example_ids") or []
        if example.pk in ids:
            i = ids.index(example.pk)
            for entry in results.get("sources", []):
                preds, scores = entry.get("predictions") or [], entry.get("scores") or []
                predictions.append({"key": entry["key"], "name": entry.get("name", entry["key"]),
                                    "label": preds[i] if i < len(preds) else None,
                                    "score": scores[i] if i < len(scores) else None})
    gold = GoldLabel.objects.filter(example=example).values_list("label", flat=True).first()
    votes = {k: {"true": sum(1 for p in people if p["source"] == k and p["label"]),
                 "false": sum(1 for p in people if p["source"] == k and not p["label"])}
             for k in (HumanLabel.Source.ANNOTATOR, HumanLabel.Source.CROWD)}
    return {
        "example": {"id": example.pk, "external_id": example.external_id, "split": example.split,
                    "position": example.position, "group": example.group, "key": example.key,
                    "fields": [{"name": k, "value": fields.get(k)} for k in shown if k in fields],
                    "prompt": example.prompt},
        "dataset": {"id": dataset.pk, "slug": dataset.slug, "name": dataset.name},
        "gold": gold,
        "human_labels": people,
        "votes": votes,
        "elicited_labels": elicited,
        "evaluation": {"id": evaluation.pk, "predictions": predictions} if predictions else None,
    }
