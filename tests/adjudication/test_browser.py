"""In Chromium: an admin opens an adjudication on an imported dataset WITHOUT gold, an adjudicator answers by
keyboard on the blind page, the admin's dashboard updates its estimate and interval by itself, and the sample's
CSV downloads. The dataset: 30 real SST-2 dev sentences imported through the import service with seeded crowd
votes and no gold column; its ICM run is written directly (tests/review/factories.completed_run: no model runs)."""
import csv
import json
import random

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from studio.models import Adjudication, GoldLabel, Membership
from studio.services.importing import import_file
from tests.review import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _dataset(tmp_path):
    from pathlib import Path

    dev = Path(__file__).resolve().parents[2] / "studio" / "presets" / "sst2" / "dev.tsv"
    sentences = [line.split("\t")[0].strip() for line in dev.read_text().splitlines()[1:31]]
    rng = random.Random(23)
    rows = [{"id": f"s{i}", "sentence": s, "votes": [rng.random() < 0.5 for _ in range(3)]}
            for i, s in enumerate(sentences)]
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(rows))
    ds = import_file(path, name="My reviews", mapping="id=id,sentence=sentence,human_label=votes", task_type="text",
                     question="Is this review positive?")
    return ds


def _context(browser, live_server, user):
    c = Client()
    c.force_login(user)  # no password typed: hashing one costs seconds on a busy machine
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.add_cookies([{"name": "sessionid", "value": c.cookies["sessionid"].value, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15000)
    return page


def test_open_adjudicate_by_keyboard_watch_the_estimate_download(browser, live_server, tmp_path, artifacts_dir):
    ds = _dataset(tmp_path)
    assert not GoldLabel.objects.filter(example__dataset=ds).exists()
    run = factories.completed_run(ds, "", accuracy=0.7, seed=4)
    User = get_user_model()
    admin = User.objects.create(username="boss", is_superuser=True, is_staff=True)
    expert = User.objects.create(username="expert")
    Membership.objects.create(user=expert, dataset=ds, role=Membership.Role.ADJUDICATOR)
    errors = []

    boss = _context(browser, live_server, admin)
    boss.on("pageerror", lambda e: errors.append(str(e)))
    boss.goto(f"{live_server.url}/review/{ds.slug}/?split=train")
    boss.select_option("#open-adjudication select[name=source_a]", f"run:{run.pk}")
    boss.select_option("#open-adjudication select[name=source_b]", "crowd")
    boss.fill("#open-adjudication input[name=budget]", "6")
    boss.click("#open-adjudication button[type=submit]")
    boss.wait_for_selector("#adjudications .adjudication")
    adj = Adjudication.objects.get(dataset=ds)
    box = f"#adjudication-{adj.pk}"
    assert boss.inner_text(f"{box} [data-field=n]") == "0"
    wide = boss.inner_text(f"{box} [data-field=diff-ci]")
    assert "From 0 expert adjudications, no gold" in boss.inner_text(f"{box} [data-field=verdict]")
    assert boss.locator(".gold-beside").count() == 0  # no gold, nothing beside

    page = _context(browser, live_server, expert)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server.url}/adjudicate/{adj.pk}/")
    page.wait_for_selector("#adj-example[data-item]")  # the first item is there before any key
    for key in ["t", "f", "n", "Escape", "2", "s", "1"]:
        if key in ("n", "Escape"):
            page.keyboard.press(key)
            continue
        before = page.get_attribute("#adj-example", "data-item")
        page.wait_for_timeout(100)
        page.keyboard.press(key)
        page.wait_for_function("(b) => document.getElementById('adj-example').dataset.item !== b", arg=before)
    assert page.inner_text("#adj-mine") == "4"
    page.screenshot(path=str(artifacts_dir / "adjudicate-page.png"), full_page=True)

    # the dashboard polls: its numbers move without a reload
    boss.wait_for_function(f"() => document.querySelector('{box} [data-field=n]').textContent === '4'")
    assert boss.inner_text(f"{box} [data-field=diff-ci]") != wide
    assert "From 4 expert adjudications, no gold" in boss.inner_text(f"{box} [data-field=verdict]")
    boss.locator("#adjudications").screenshot(path=str(artifacts_dir / "adjudication-estimate.png"))
    with boss.expect_download() as got:
        boss.click(f"#adjudication-{adj.pk}-csv")
    rows = list(csv.DictReader(open(got.value.path())))
    assert len(rows) == 6 and sum(r["expert_label"] in ("true", "false") for r in rows) == 4
    assert not errors, errors
