"""Text at import and in prompts: HTML entities decoded for presets and users' files alike, the raw text kept
under RAW_KEY; a dataset's max_chars cuts each field in the prompt at a word boundary with a visible marker,
while annotators get the whole text."""
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from studio.models import Dataset, Membership
from studio.services.importing import ImportFailed, import_file, import_preset
from studio.services.importing.rerender import rerender_prompts
from studio.services.importing.text import CUT_MARK, RAW_KEY, cut, decode_entities

from .helpers import db_state

pytestmark = pytest.mark.django_db


def test_cut_ends_at_a_word_boundary_with_the_marker():
    text = "The quick brown fox jumps over the lazy dog"
    assert cut(text, 100) == text and cut(text, None) == text
    assert cut(text, 18) == "The quick brown" + CUT_MARK  # "fox" would be split at 18: it goes
    assert cut(text, 19) == "The quick brown fox" + CUT_MARK  # the limit falls on a space: the word stays
    assert cut("x" * 50, 20) == "x" * 20 + CUT_MARK  # one long "word" is cut, not dropped
    assert decode_entities("Tom &amp; Jerry&nbsp;rock &#39;n&#39; roll &lidb;") == "Tom & Jerry rock 'n' roll &lidb;"


def test_blog_gender_preset_decodes_entities_keeps_the_raw_posts_and_cuts_prompts_not_the_page():
    ds = import_preset("blog-gender")
    assert ds.max_chars == 600
    examples = list(ds.examples.all())
    assert not any("&nbsp;" in e.fields["post_a"] or "&nbsp;" in e.prompt for e in examples)
    raw_posts = {e.fields["post_a_id"] for e in examples if "&nbsp;" in e.fields.get(RAW_KEY, {}).get("post_a", "")}
    assert len(raw_posts) == 614  # the posts that showed a literal &nbsp;
    for e in examples:
        for name, original in e.fields.get(RAW_KEY, {}).items():
            assert decode_entities(original) == e.fields[name] != original

    long = next(e for e in examples if len(e.fields["post_a"]) > 2000)
    head = long.prompt.split("\n")[0]  # "Post A: <cut post>"
    assert head.endswith(CUT_MARK) and len(head) <= len("Post A: ") + 600 + len(CUT_MARK)
    kept = head[len("Post A: "):-len(CUT_MARK)]
    assert long.fields["post_a"].startswith(kept) and long.fields["post_a"][len(kept)].isspace()

    # the annotator's page gets the whole post, decoded
    user = get_user_model().objects.create_user("reader", password="pw-123456789")
    Membership.objects.create(user=user, dataset=ds, role=Membership.Role.ANNOTATOR)
    Dataset.objects.filter(pk=ds.pk).update(annotation_split="")
    client = Client()
    client.force_login(user)
    shown = client.post(f"/annotate/{ds.slug}/next/").json()["example"]
    ex = ds.examples.get(pk=shown["id"])
    texts = [b["text"] for b in shown["pair"]]
    assert texts == [ex.fields["post_a"], ex.fields["post_b"]] and RAW_KEY not in json.dumps(shown)

    # a different limit from the admin: the stored prompts follow
    ds.max_chars = None
    ds.save()
    assert rerender_prompts(ds) > 0
    long.refresh_from_db()
    assert CUT_MARK not in long.prompt and long.fields["post_a"] in long.prompt


def _upload(rows) -> io.BytesIO:
    data = io.BytesIO("\n".join(json.dumps(r) for r in rows).encode())
    data.name = "posts.jsonl"
    return data


def test_an_uploaded_file_is_decoded_too_and_max_chars_applies():
    rows = [{"id": "a", "text": "Tom &amp; Jerry&nbsp;rock &#39;n&#39; roll all night long", "label": True},
            {"id": "b", "text": "plain text", "label": False}]
    ds = import_file(_upload(rows), name="Entities", mapping="id=id,text=text,label=label", max_chars=25,
                     prompt_template="Text: {text}\nI think this claim is")
    a, b = ds.examples.get(external_id="a"), ds.examples.get(external_id="b")
    assert a.fields["text"] == "Tom & Jerry rock 'n' roll all night long"
    assert a.fields[RAW_KEY] == {"text": rows[0]["text"]} and RAW_KEY not in b.fields
    assert a.prompt == "Text: Tom & Jerry rock 'n' roll" + CUT_MARK + "\nI think this claim is"
    assert b.prompt == "Text: plain text\nI think this claim is"


def test_a_bad_max_chars_is_refused_and_imports_nothing():
    before = db_state()
    with pytest.raises(ImportFailed, match="max_chars must be a whole number") as info:
        import_file(_upload([{"id": "a", "text": "x", "label": True}]), name="Tiny", mapping="id=id,text=text",
                    max_chars=5)
    assert info.value.field == "max_chars" and db_state() == before


def test_the_dataset_admin_sets_max_chars_and_renders_the_prompts_again(admin_user):
    ds = import_file(_upload([{"id": "a", "text": "one two three four five six seven eight nine ten", "label": True}]),
                     name="Admin cut", mapping="id=id,text=text,label=label", prompt_template="T: {text}\nI think")
    client = Client()
    client.force_login(admin_user)
    url = f"/admin/studio/dataset/{ds.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if k in form.fields}
    data.update({"display_fields": json.dumps(ds.display_fields), "memberships-TOTAL_FORMS": 0,
                 "memberships-INITIAL_FORMS": 0, "max_chars": 25})
    data = {k: v for k, v in data.items() if v is not False}
    assert client.post(url, data).status_code == 302
    assert ds.examples.get().prompt == "T: one two three four five" + CUT_MARK + "\nI think"

    refused = client.post(url, {**data, "prompt_template": "T: {nope}\nI think"})
    assert refused.status_code == 200 and "{nope}" in refused.content.decode()
    ds.refresh_from_db()
    assert ds.prompt_template == "T: {text}\nI think"
