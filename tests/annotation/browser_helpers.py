"""Driving the labeling page in Chromium: log in through the form, start, answer with keys."""
from .factories import PASSWORD


def log_in(browser, live_server, username: str, next_path: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/accounts/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(f"**{next_path}")
    return page


def shown_id(page) -> int | None:
    value = page.get_attribute("#ann-example", "data-example-id")
    return int(value) if value else None


def wait_for_example(page, not_id=None, is_id=None) -> int | None:
    """Wait until the page shows an example other than `not_id` (or exactly `is_id`), or says it is done."""
    page.wait_for_function(
        """([notId, isId]) => {
            const box = document.getElementById('ann-example');
            const done = !document.getElementById('ann-done').hidden;
            const id = box.dataset.exampleId ? Number(box.dataset.exampleId) : null;
            if (isId !== null) return id === isId;
            return (id !== null && id !== notId) || done;
        }""",
        arg=[not_id, is_id],
    )
    return None if page.is_visible("#ann-done") else shown_id(page)


def start(page) -> int | None:
    page.keyboard.press("Enter")
    return wait_for_example(page)


def press(page, key: str, *, think_ms: int = 120, expect_id=None) -> int | None:
    """Press `key` on the shown example and wait for what comes next."""
    before = shown_id(page)
    page.wait_for_timeout(think_ms)  # a person reads before answering; gives a measurable time
    page.keyboard.press(key)
    if expect_id is not None:
        return wait_for_example(page, is_id=expect_id)
    return wait_for_example(page, not_id=before)
