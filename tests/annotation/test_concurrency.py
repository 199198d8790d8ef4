"""Many annotators at once on real PostgreSQL: overlap holds, nobody labels an example twice, nothing is lost."""
import threading
from collections import Counter

import pytest
from django.db import connection

from studio.models import HumanLabel
from studio.services.annotation import next_example, submit_label

from .factories import make_annotator, make_dataset

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 20
EXAMPLES = 30
OVERLAP = 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL (DATABASE_URL)")
def test_twenty_annotators_at_once_on_an_overlap_three_dataset():
    ds = make_dataset("Busy", n=EXAMPLES, overlap=OVERLAP)
    users = [make_annotator(f"ann{i:02d}", ds) for i in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    accepted: list[tuple[int, int, bool]] = []  # (annotator, example, label) acknowledged to the client
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(user, index):
        try:
            barrier.wait(timeout=30)
            n = 0
            while (example := next_example(user, ds)) is not None:
                label = (example.pk + index) % 2 == 0
                stored = submit_label(user, example, label, 0.5)
                if n % 4 == 0:  # a retried request now and then: must store nothing more
                    assert not submit_label(user, example, label, 0.5).created
                with lock:
                    accepted.append((user.pk, example.pk, stored.label))
                n += 1
        except BaseException as e:  # noqa: BLE001 - reported by the main thread
            with lock:
                errors.append(e)
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=work, args=(u, i)) for i, u in enumerate(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads)
    assert not errors, errors

    stored = list(HumanLabel.objects.filter(example__dataset=ds).values_list("annotator", "example", "label"))
    per_example = Counter(e for _, e, _ in stored)
    assert max(per_example.values()) <= OVERLAP
    assert len(set((a, e) for a, e, _ in stored)) == len(stored)  # no duplicate (annotator, example)
    assert sorted(stored) == sorted(accepted)  # every acknowledged submission is there, nothing else
    assert len(stored) == EXAMPLES * OVERLAP  # and the queue was worked to the end
    assert len({a for a, _, _ in stored}) > OVERLAP  # the work really was shared
