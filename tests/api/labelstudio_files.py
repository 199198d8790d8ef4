"""Label Studio JSON exports as Label Studio writes them (Export → JSON), for a binary choice project."""


def annotation(ann_id: int, user: int, choice: str | None, *, ground_truth=False, cancelled=False,
               from_name="sentiment") -> dict:
    result = [] if choice is None else [{
        "value": {"choices": [choice]}, "id": f"r{ann_id}", "from_name": from_name, "to_name": "text",
        "type": "choices", "origin": "manual",
    }]
    return {
        "id": ann_id, "completed_by": user, "result": result, "was_cancelled": cancelled,
        "ground_truth": ground_truth, "created_at": "2025-03-01T10:00:00.000000Z",
        "updated_at": "2025-03-01T10:00:00.000000Z", "draft_created_at": None, "lead_time": 4.2,
        "prediction": {}, "result_count": len(result), "unique_id": f"u{ann_id}", "import_id": None,
        "last_action": None, "task": 0, "project": 3, "updated_by": user, "parent_prediction": None,
        "parent_annotation": None, "last_created_by": None,
    }


def task(task_id: int, text: str, annotations: list[dict]) -> dict:
    for a in annotations:
        a["task"] = task_id
    return {
        "id": task_id, "annotations": annotations, "file_upload": "reviews.csv", "drafts": [], "predictions": [],
        "data": {"text": text}, "meta": {}, "created_at": "2025-03-01T09:00:00.000000Z",
        "updated_at": "2025-03-01T10:00:00.000000Z", "inner_id": task_id, "total_annotations": len(annotations),
        "cancelled_annotations": 0, "total_predictions": 0, "comment_count": 0, "unresolved_comment_count": 0,
        "last_comment_updated_at": None, "project": 3, "updated_by": 1, "comment_authors": [],
    }


def sentiment_export() -> list[dict]:
    """Three reviews: two people (Label Studio users 11 and 12) label them Positive/Negative; one task has a
    ground-truth annotation, one a cancelled (skipped) annotation."""
    return [
        task(1, "A wonderful, moving film.", [annotation(1, 11, "Positive"), annotation(2, 12, "Positive"),
                                              annotation(3, 1, "Positive", ground_truth=True)]),
        task(2, "Dull and far too long.", [annotation(4, 12, "Negative"), annotation(5, 11, None, cancelled=True)]),
        task(3, "Not bad at all.", [annotation(6, 11, "Negative"), annotation(7, 12, "Positive")]),
    ]
