"""The labels made in this browser session, newest last: what `u` may undo."""
KEEP = 200


def _key(dataset) -> str:
    return f"annotate.labels.{dataset.pk}"


def session_label_ids(session, dataset) -> list[int]:
    return list(session.get(_key(dataset), []))


def remember_label(session, dataset, label_id: int) -> None:
    ids = [i for i in session_label_ids(session, dataset) if i != label_id]
    ids.append(label_id)
    session[_key(dataset)] = ids[-KEEP:]


def forget_label(session, dataset, label_id: int) -> None:
    session[_key(dataset)] = [i for i in session_label_ids(session, dataset) if i != label_id]
