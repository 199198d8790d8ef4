"""A 5,000-digit integer in an import file (beyond what Python reads or prints as a number) is refused naming
its row and field, like every other bad value, instead of stopping the import on an "unexpected error"."""
import io
import json

import pytest

from studio.services.importing import ImportFailed, import_file

from .helpers import db_state

pytestmark = pytest.mark.django_db
MAPPING = "id=id,text=text,label=label"
HUGE = "9" * 5000


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
@pytest.mark.parametrize("field", ["id", "text", "extra"])
def test_a_huge_integer_is_refused_naming_row_and_field(fmt, field):
    rows = ['{"id": "a", "text": "fine", "label": 1}',
            json.dumps({"id": "b", "text": "fine", "label": 0, field: 0}).replace(f'"{field}": 0', f'"{field}": {HUGE}')]
    data = ("\n".join(rows) if fmt == "jsonl" else "[" + ",\n".join(rows) + "]").encode()
    before = db_state()
    with pytest.raises(ImportFailed) as info:
        import_file(io.BytesIO(data), name="huge", fmt=fmt, mapping=MAPPING)
    assert (info.value.row, info.value.field) == (2, field)
    assert "5,000 digits" in str(info.value) and str(info.value).startswith("row 2")
    assert db_state() == before


def test_a_long_but_readable_integer_still_imports():
    data = json.dumps({"id": "a", "text": "fine", "label": 1, "extra": 10**300}).encode()
    assert import_file(io.BytesIO(data), name="long", fmt="jsonl", mapping=MAPPING).examples.count() == 1
