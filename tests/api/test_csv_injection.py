"""CSV exports neutralize spreadsheet formulas (issue 16, finding 9): a text cell starting with = + - @, a tab or a
carriage return gets a leading single quote in every CSV the studio writes (human labels, gold, run labels)."""
import csv
import io

import pytest

from studio.models import Example

pytestmark = pytest.mark.django_db

HOSTILE = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


def _body(response) -> str:
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()


def _rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.fixture
def hostile(world):
    examples = list(Example.objects.filter(dataset=world.a).order_by("pk"))
    for ex, text in zip(examples, HOSTILE):
        ex.fields = {**ex.fields, "claim": text}
        ex.external_id = text
        ex.save()
    return {ex.pk: text for ex, text in zip(examples, HOSTILE)}


@pytest.mark.parametrize("url", ["/api/runs/{run}/export/?format=csv", "/api/datasets/{ds}/export/gold/?format=csv",
                                 "/api/datasets/{ds}/export/human-labels/?format=csv&mode=annotator&annotator=ann"])
def test_formula_cells_get_a_leading_quote(world, hostile, url):
    url = url.format(run=world.run_a.pk, ds=world.a.pk)
    rows = _rows(_body(world.client("admin").get(url)))
    assert rows
    cells = [v for r in rows for v in r.values()]
    for text in HOSTILE:
        assert text not in cells, (text, url)
    ids = {r["id"] for r in rows}
    assert ids & {"'" + t for t in HOSTILE}, ids
    assert not any(v.startswith(("=", "+", "@", "\t", "\r")) for v in cells)
