"""Who sees review pages, the home page's link to them, and a run's curves page."""
import json
import re

import pytest

from studio.models import Membership, RunEvent

pytestmark = pytest.mark.django_db


def _pages(r):
    slug = r.dataset.slug
    ex = r.test_ids[0]
    return [f"/review/{slug}/", f"/review/{slug}/dashboard.json", f"/review/{slug}/disagreements/",
            f"/review/{slug}/examples/{ex}/", f"/review/{slug}/runs/{r.run.pk}/"]


def test_reviewers_and_admins_see_review_pages_annotators_do_not(reviewed, client, django_user_model, admin_user):
    annotator = django_user_model.objects.create_user("ann-only", password="pw-123456789")
    Membership.objects.create(user=annotator, dataset=reviewed.dataset, role="annotator")
    reviewer = django_user_model.objects.create_user("rev-only", password="pw-123456789")
    Membership.objects.create(user=reviewer, dataset=reviewed.dataset, role="reviewer")
    for url in _pages(reviewed):
        assert client.get(url).status_code == 302, url  # to the login page
    client.force_login(annotator)
    for url in _pages(reviewed):
        assert client.get(url).status_code == 404, url  # gold and everyone's labels stay hidden
    for user in (reviewer, admin_user):
        client.force_login(user)
        for url in _pages(reviewed):
            assert client.get(url).status_code == 200, (user, url)


def test_home_page_links_reviewers_to_the_dashboard(reviewed, client, django_user_model):
    reviewer = django_user_model.objects.create_user("rev-home", password="pw-123456789")
    Membership.objects.create(user=reviewer, dataset=reviewed.dataset, role="reviewer")
    client.force_login(reviewer)
    html = client.get("/").content.decode()
    assert f'data-action="review" href="/review/{reviewed.dataset.slug}/"' in html


def test_run_curves_page_has_every_event_in_its_table_and_chart_data(reviewed, client, admin_user):
    client.force_login(admin_user)
    html = client.get(f"/review/{reviewed.dataset.slug}/runs/{reviewed.run.pk}/").content.decode()
    data = json.loads(re.search(r'<script id="run-curves-data" type="application/json">(.*?)</script>', html, re.S).group(1))
    events = list(RunEvent.objects.filter(run=reviewed.run).order_by("iteration").values_list(
        "iteration", "energy", "accuracy", "accepted_flips", "inconsistencies"))
    assert data["iteration"] == [e[0] for e in events] and data["energy"] == [e[1] for e in events]
    assert data["accuracy"] == [e[2] for e in events] and data["inconsistencies"] == [e[4] for e in events]
    assert html.count("<tr><td class=\"num\">") == len(events)


def test_long_runs_are_thinned_but_keep_their_last_event(reviewed):
    from studio.services import review

    RunEvent.objects.bulk_create([RunEvent(run=reviewed.run, iteration=1000 + i, energy=float(i)) for i in range(1001)])
    curves = review.run_curves(reviewed.run, max_points=100)
    assert len(curves["iteration"]) <= 101 and curves["iteration"][-1] == 2000 and curves["thinned_every"] > 1
