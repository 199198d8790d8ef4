"""An alpaca-shaped dataset (real pairs and crowd votes, 60 pairs) with a completed ICM run written directly
(tests/review/factories: gold flipped on 20%; no model runs here), an adjudicator and a reviewer."""
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model

from studio.models import Membership
from tests.review import factories


@pytest.fixture
def world(db):
    ds = factories.alpaca_like(pairs=60, name="adj-alpaca")
    run = factories.completed_run(ds, "", accuracy=0.8, seed=1)
    User = get_user_model()
    # no passwords (hashing one costs seconds on a busy machine): the tests log in with force_login
    admin = User.objects.create(username="boss", is_superuser=True, is_staff=True)
    expert = User.objects.create(username="expert")
    Membership.objects.create(user=expert, dataset=ds, role=Membership.Role.ADJUDICATOR)
    reviewer = User.objects.create(username="rev")
    Membership.objects.create(user=reviewer, dataset=ds, role=Membership.Role.REVIEWER)
    return SimpleNamespace(dataset=ds, run=run, admin=admin, expert=expert, reviewer=reviewer)
