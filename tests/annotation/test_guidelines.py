"""Guidelines are Markdown; raw HTML shows as text and script links are dropped, however they are spelled."""
import pytest

from studio.services.annotation import render_guidelines


def test_markdown_renders():
    html = render_guidelines("## Labeling\n\n- **True**: the claim holds\n- *False*: it does not\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    assert "<h2>Labeling</h2>" in html and "<strong>True</strong>" in html and "<em>False</em>" in html
    assert "<table>" in html


def test_raw_html_is_shown_as_text():
    html = render_guidelines('Hi <script>alert(1)</script>\n\n<div onclick="x()">block</div>\n\n<img src=x onerror=alert(1)>')
    assert "<script" not in html and "<div" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "JavaScript:alert(1)", "java&#115;cript:alert(1)", "&#x6A;avascript:alert(1)",
    "java&Tab;script:alert(1)", "vbscript:x", "data:text/html,<b>x</b>",
])
def test_script_links_and_images_lose_their_target(url):
    html = render_guidelines(f"[click]({url}) ![pic]({url})")
    assert "href" not in html and "src" not in html, html
    assert "click" in html


@pytest.mark.parametrize("url", ["https://example.org/a?b=1", "http://x.org", "mailto:a@b.org", "/help/", "#keys",
                                 "notes.html"])
def test_ordinary_links_stay(url):
    assert 'href="' in render_guidelines(f"[ok]({url})")


@pytest.mark.parametrize("url", ["//evil.example/x", "/\\evil.example/x", "\\\\\\\\evil.example/x", "\\/evil.example",
                                 "/&#92;evil.example", " //evil.example"])
def test_links_to_another_host_without_a_scheme_lose_their_target(url):
    """Protocol-relative links (and backslash spellings browsers read as //) lead off the studio (issue 16)."""
    html = render_guidelines(f"[click]({url}) ![pic]({url})")
    assert "href" not in html and "src" not in html, html
