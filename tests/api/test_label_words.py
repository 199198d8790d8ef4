"""Issue 16 #8: a dataset's label words keep their leading space through GET then PUT (the SFT export and
the scored tokens depend on it), and identical true/false words are refused, naming the field."""
import io

from studio.models import Dataset


def test_get_then_put_keeps_the_leading_space(world):
    client = world.client("admin")
    body = client.get(f"/api/datasets/{world.a.pk}/").json()
    assert body["true_word"] == " True" and body["false_word"] == " False"
    body.pop("example_count")
    response = client.put(f"/api/datasets/{world.a.pk}/", body, format="json")
    assert response.status_code == 200, response.json()
    world.a.refresh_from_db()
    assert (world.a.true_word, world.a.false_word) == (" True", " False")
    assert response.json()["true_word"] == " True"


def test_identical_words_are_refused(world):
    client = world.client("admin")
    response = client.patch(f"/api/datasets/{world.a.pk}/", {"false_word": " True"}, format="json")
    assert response.status_code == 400
    assert "false_word" in response.json() and "differ" in response.json()["false_word"][0]
    world.a.refresh_from_db()
    assert world.a.false_word == " False"


def test_identical_words_are_refused_on_import(world):
    client = world.client("admin")
    before = Dataset.objects.count()
    upload = io.BytesIO(b'{"claim": "x", "label": true}\n')
    upload.name = "d.jsonl"
    response = client.post("/api/imports/", {"file": upload, "name": "Same words", "true_word": " Yes",
                                            "false_word": " Yes", "mapping": '{"claim": "claim"}'},
                           format="multipart")
    assert response.status_code == 400 and "false_word" in response.json(), response.json()
    assert Dataset.objects.count() == before
