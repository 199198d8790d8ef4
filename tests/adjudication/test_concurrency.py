"""Many adjudicators at once on real PostgreSQL: no item is handed to two of them, none is answered twice, and
the answers stop at the budget."""
import threading
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from studio.models import AdjudicationItem, Membership
from studio.services import adjudication
from tests.review import factories

pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 8


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL (DATABASE_URL)")
def test_eight_adjudicators_at_once_share_the_budget_without_overlap():
    ds = factories.alpaca_like(pairs=40, name="adj-busy")
    factories.completed_run(ds, "", accuracy=0.7, seed=3)
    User = get_user_model()
    users = [User.objects.create(username=f"exp{i}") for i in range(THREADS)]
    Membership.objects.bulk_create(Membership(user=u, dataset=ds, role=Membership.Role.ADJUDICATOR) for u in users)
    adj = adjudication.open_adjudication(ds, {"split": "test", "budget": 24})
    barrier = threading.Barrier(THREADS)
    handed, saved, errors = Counter(), Counter(), []
    lock = threading.Lock()

    def work(user):
        try:
            barrier.wait()
            while True:
                got = adjudication.next_item(adj, user)
                if got["item"] is None:
                    return
                with lock:
                    handed[got["item"]] += 1
                adjudication.record(adj, user, got["item"], True)
                with lock:
                    saved[got["item"]] += 1
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert len(saved) == 24 == adj.budget and set(saved.values()) == {1} and set(handed.values()) == {1}
    assert AdjudicationItem.objects.filter(adjudication=adj, expert_label__isnull=False).count() == 24
    assert len({u for u in AdjudicationItem.objects.filter(adjudication=adj).values_list("adjudicator", flat=True)}) > 1
