"""Predict, then run, in real Chromium: 30 viewers answer on their own pages, the projector
shows the distribution live, a second vote is refused, and the run's result reveals the answer."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import SCREENSHOTS, Watched, open_page
from tests.client import Server, api, wait_state

pytestmark = pytest.mark.browser

TOKEN = "predict-browser-secret"
PHONE = {"width": 390, "height": 844}
# What the 30 viewers predict for "how many of the 10 buyers get the ticket?".
ANSWERS = [1] * 3 + [2] * 5 + [3] * 4 + [5] * 3 + [10] * 15
VOTE_IN_PAGE = """async ([id, answer]) => {
  const res = await fetch(`/api/questions/${id}/votes`, {method: "POST",
    headers: {"Content-Type": "application/json"}, body: JSON.stringify({answer})});
  return {status: res.status, body: await res.json()};
}"""


@pytest.fixture
def hall(make_server: Callable[..., Server]) -> Server:
    return make_server(PROCVIZ_TOKEN=TOKEN)


@pytest.fixture
def presenter(browser: Browser) -> Iterator[Watched]:
    w = open_page(browser)
    yield w
    w.page.context.close()


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[BrowserContext]]:
    opened: list[BrowserContext] = []
    yield opened
    for c in opened:
        c.close()


def bar_counts(page: Page) -> dict[str, int]:
    counts = page.eval_on_selector_all(
        "#predict .predict-bar", "(bars) => bars.map((b) => [b.dataset.key, +b.dataset.count])"
    )
    return {key: n for key, n in counts if n}


def test_thirty_viewers_predict_and_the_run_reveals_the_answer(
    hall: Server, browser: Browser, presenter: Watched, contexts: list[BrowserContext]
) -> None:
    page = presenter.page
    page.goto(f"{hall.base}/?token={TOKEN}&lesson=ticket-race&projector=1")
    ask = page.locator('#predict-ask button[data-question="sold"]')
    expect(ask).to_be_visible(timeout=20_000)
    ask.click()
    panel = page.locator("#predict")
    expect(panel).to_have_attribute("data-state", "open")
    question = panel.get_attribute("data-question")
    assert question and question.startswith("q-")

    # Thirty students, each on a page of their own (a phone's size keeps the cost down).
    viewers: list[Page] = []
    for answer in ANSWERS:
        context = browser.new_context(viewport=PHONE, locale="en-US")
        contexts.append(context)
        viewer = context.new_page()
        viewer.goto(f"{hall.base}/")
        field = viewer.locator("#predict input.predict-number")
        expect(field).to_be_visible(timeout=20_000)
        expect(viewer.locator("#predict .predict-bars")).to_have_count(0)  # not swayed before
        field.fill(str(answer))
        viewer.locator("#predict button.predict-send").click()
        expect(viewer.locator("#predict .predict-status")).to_contain_text(
            f"your answer: {answer}", timeout=20_000
        )
        viewers.append(viewer)

    # The projector: 30 answers, the distribution as they voted (over the lobby, live).
    expect(page.locator("#predict .predict-status")).to_have_attribute(
        "data-votes", "30", timeout=20_000
    )
    expected = {str(k): n for k, n in Counter(ANSWERS).items()}
    assert bar_counts(page) == expected
    assert page.locator("#predict .predict-bar").count() == 11  # 0 … 10 buyers
    presenter.screenshot("predict-projector-1920x1080")
    viewers[-1].screenshot(path=str(SCREENSHOTS / "predict-viewer-390x844.png"))

    # A second vote from one viewer: the page offers none, and the server refuses one sent anyway.
    first = viewers[0]
    refused = first.evaluate(VOTE_IN_PAGE, [question, 4])
    assert refused["status"] == 409 and refused["body"]["detail"]["field"] == "viewer"
    first.reload()
    expect(first.locator("#predict .predict-status")).to_contain_text("your answer: 1")
    expect(first.locator("#predict input.predict-number")).to_have_count(0)
    page.wait_for_timeout(500)  # a lobby message would have come by now
    assert bar_counts(page) == expected
    assert api(hall, "GET", "/api/questions/current").json()["votes"] == 30

    # Fewer followers for the run: 29 students close their laptops, one stays.
    for context in contexts[1:]:
        context.close()
    del contexts[1:]

    # Run: the question goes with it, and the run's result reveals the answer.
    page.locator("#run-btn").click()
    page.wait_for_url("**/runs/**", timeout=20_000)
    run_id = page.url.rsplit("/runs/", 1)[1].split("?")[0]
    run = wait_state(hall, run_id, {"finished"}, timeout=60)
    sold = str(run["result"]["sold"])
    revealed = page.locator("#predict")
    expect(revealed).to_have_attribute("data-state", "revealed", timeout=20_000)
    expect(page.locator("#predict .predict-reveal")).to_have_attribute("data-answer-key", sold)
    expect(page.locator("#predict .predict-bar.answer")).to_have_attribute("data-key", sold)
    correct = Counter(str(a) for a in ANSWERS)[sold]
    expect(page.locator("#predict .predict-correct")).to_contain_text(f"{correct} of 30 predicted")
    assert bar_counts(page) == expected
    expect(page.locator("#result-card")).to_be_visible()
    presenter.screenshot("predict-reveal-projector-1920x1080")

    # The viewer who stayed followed the presenter and sees the same answer beside its own.
    first.wait_for_url(f"**/runs/{run_id}", timeout=20_000)
    expect(first.locator("#predict .predict-reveal")).to_have_attribute(
        "data-answer-key", sold, timeout=20_000
    )
    expect(first.locator("#predict .predict-status")).to_contain_text("your answer: 1")

    # In Chinese, the same view in Chinese words.
    page.locator("#lang-toggle").click()
    expect(page.locator("#predict .predict-correct")).to_contain_text(f"30 人中 {correct} 人猜对")
    expect(page.locator("#predict .predict-h")).to_have_text("先预测，再运行")
    page.locator("#lang-toggle").click()

    # The recording keeps the question and its counts: a replay shows the same reveal.
    page.goto(f"{hall.base}/runs/{run_id}?replay=4")
    expect(page.locator("#predict")).to_have_attribute("data-state", "revealed", timeout=30_000)
    expect(page.locator("#predict .predict-bar.answer")).to_have_attribute("data-key", sold)
    assert bar_counts(page) == expected
    assert presenter.errors == [], presenter.errors


def test_a_choice_is_answered_with_a_tap_and_revealed_by_the_result(
    hall: Server, browser: Browser, presenter: Watched, contexts: list[BrowserContext]
) -> None:
    page = presenter.page
    page.goto(f"{hall.base}/?token={TOKEN}&lesson=daemon")
    page.locator('#predict-ask button[data-question="second-line"]').click()
    expect(page.locator("#predict")).to_have_attribute("data-state", "open")
    for choice in ["yes", "no", "no"]:
        context = browser.new_context(viewport=PHONE, locale="zh-CN")
        contexts.append(context)
        viewer = context.new_page()
        viewer.goto(f"{hall.base}/")
        button = viewer.locator(f'#predict button[data-choice="{choice}"]')
        expect(button).to_have_text({"yes": "会", "no": "不会"}[choice], timeout=20_000)
        button.click()
        expect(viewer.locator("#predict .predict-status")).to_contain_text("你的答案")
        expect(viewer.locator("#predict button.predict-choice")).to_have_count(0)
    expect(page.locator("#predict .predict-status")).to_have_attribute("data-votes", "3")
    assert bar_counts(page) == {"yes": 1, "no": 2}

    body = {"lesson": "daemon", "params": {"speed": 10}}
    headers = {"Authorization": f"Bearer {TOKEN}"}
    run = api(hall, "POST", "/api/runs", json=body, headers=headers).json()
    ended = wait_state(hall, run["id"], {"finished"}, timeout=60)
    answer = "yes" if ended["result"]["daemon_finished"] else "no"
    page.goto(f"{hall.base}/runs/{run['id']}")
    expect(page.locator("#predict")).to_have_attribute("data-state", "revealed", timeout=20_000)
    expect(page.locator("#predict .predict-bar.answer")).to_have_attribute("data-key", answer)
    assert answer == "no"  # the lesson's point: a daemon dies with its parent
    assert presenter.errors == [], presenter.errors
