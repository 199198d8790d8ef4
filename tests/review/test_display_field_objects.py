"""Review pages with display_fields written as {"field", "label"} objects (which the API accepts) render,
showing the named fields (issue 16, finding 2: they answered 500)."""
import pytest

pytestmark = pytest.mark.django_db


def test_review_pages_render_display_fields_given_as_objects(reviewed, client, admin_user):
    ds = reviewed.dataset
    first = next(iter(ds.examples.get(pk=reviewed.test_ids[0]).fields))
    ds.display_fields = [{"field": first, "label": "The text"}]
    ds.save(update_fields=["display_fields"])
    client.force_login(admin_user)
    detail = client.get(f"/review/{ds.slug}/examples/{reviewed.test_ids[0]}/")
    assert detail.status_code == 200
    assert f">{first}<" in detail.content.decode() or first in detail.content.decode()
    page = client.get(f"/review/{ds.slug}/disagreements/?a=people&b=crowd")
    assert page.status_code == 200
    page = client.get(f"/review/{ds.slug}/disagreements/")
    assert page.status_code == 200
