"""The web page used as a person would: Debian's Chromium, driven by Playwright, against `rag serve`.

Chromium is Debian's (`make test` installs it; Playwright downloads no browser). Without it the tests fail
under CI and are skipped, with the reason, elsewhere. Every test leaves a screenshot in tests/screenshots/
and must make no request to any host but the test server and log no error in the page's console.
"""

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, Route, expect, sync_playwright

from .conftest import SEEDS, source_text, under_ci
from .server import rag_serve

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
# Headless, and quiet: without the background-networking flags Chromium calls Google's hosts at start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
TIMEOUT_MS = 15_000  # generous for two busy cores; an answer takes milliseconds

RAMSTEIN_QUESTION = "Where is the NATO Space Operations Centre?"
OFF_TOPIC = "What is the recipe for a chocolate cake?"

# An answer with quotes, whether or not the answerer finds that its sources disagree.
ANSWERED = re.compile(r"answered|conflicted")

expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: install Debian's chromium (make test does, as root)"
        if under_ci():
            pytest.fail(f"{reason}; CI must run the browser tests")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        # launch() starts Chromium with a new, empty profile (user-data dir) of its own.
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def server(components, tmp_path_factory) -> Iterator[str]:
    """The real server on the session's index; its base URL."""
    with rag_serve(components.settings, tmp_path_factory.mktemp("web") / "server.log") as base:
        yield base


@pytest.fixture(scope="module")
def api(server) -> Iterator[httpx.Client]:
    """The same server asked directly, for what the page should show."""
    with httpx.Client(base_url=server, timeout=30) as http:
        yield http


@dataclass
class Visit:
    page: Page
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def ask(self, question: str) -> Locator:
        """Types `question`, sends it with Enter and returns its answer once it is shown."""
        before = self.page.locator(".turn.assistant").count()
        self.page.locator("#question").fill(question)
        self.page.locator("#question").press("Enter")
        turn = self.page.locator(".turn.assistant").nth(before)
        expect(turn).not_to_have_attribute("data-state", "pending")
        expect(turn).not_to_have_attribute("aria-busy", "true")
        return turn


@contextmanager
def open_page(browser: Browser, server: str, request: pytest.FixtureRequest, **context_options) -> Iterator[Visit]:
    """The page in a new browser context, watched; on exit a screenshot, then the checks of every visit."""
    context = browser.new_context(**context_options)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    visit = Visit(page)
    page.on("request", lambda r: visit.requests.append(r.url))
    page.on("console", lambda m: visit.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: visit.console_errors.append(str(error)))
    page.goto(f"{server}/")
    expect(page.locator("#status")).to_have_attribute("data-state", "ready")
    try:
        yield visit
    finally:
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"{request.node.name}.png", full_page=True)
        context.close()
    host = urlsplit(server).netloc
    assert [url for url in visit.requests if urlsplit(url).netloc != host] == []
    assert visit.console_errors == []


@pytest.fixture()
def visit(browser, server, request) -> Iterator[Visit]:
    with open_page(browser, server, request, viewport={"width": 1280, "height": 900}) as page_visit:
        yield page_visit


def cards(turn: Locator) -> list[dict]:
    """What each quote card of an answer shows, in citation order (cards of disagreeing sources come first)."""
    return turn.locator(".card").evaluate_all(
        """cards => cards.sort((a, b) => a.dataset.citation - b.dataset.citation).map(card => ({
            quote: card.querySelector(".quote").textContent,
            title: card.querySelector(".title").textContent,
            number: card.querySelector(".cite .num").textContent,
        }))"""
    )


def expect_highlighted(page: Page, citation: dict) -> None:
    """The document view shows the cited document, its quoted span highlighted and in view."""
    view = page.locator("#doc-view")
    mark = view.locator("mark.quoted")
    expect(view).to_be_visible()
    expect(view).to_have_attribute("data-doc-id", citation["doc_id"])
    expect(mark).to_have_count(1)
    assert mark.text_content() == citation["quote"]
    expect(mark).to_be_in_viewport()
    expect(page.locator("#doc-warning")).to_be_hidden()
    # The view holds the whole original text, so the highlight is the quote in its context.
    assert view.locator("#doc-text").text_content() == source_text(SEEDS, citation["doc_id"])


def test_a_question_is_answered_with_quote_cards_that_open_the_document(visit, api):
    expected = api.post("/ask", json={"question": RAMSTEIN_QUESTION}).json()
    assert not expected["abstained"] and expected["citations"]

    turn = visit.ask(RAMSTEIN_QUESTION)
    expect(turn).to_have_attribute("data-state", "conflicted" if expected.get("conflicts") else "answered")
    assert cards(turn) == [
        {"quote": c["quote"], "title": c["title"], "number": f"[{c['id']}]"} for c in expected["citations"]
    ]
    for citation in expected["citations"]:
        turn.locator(f'.cite[data-citation="{citation["id"]}"]').click()
        expect(visit.page.locator("#doc-title")).to_have_text(citation["title"])
        expect_highlighted(visit.page, citation)


def test_a_follow_up_is_asked_with_the_history_and_answered(visit):
    first = visit.ask("What is NORTHLINK?")
    expect(first).to_have_attribute("data-state", ANSWERED)
    first_answer = first.locator(".cards").text_content()

    with visit.page.expect_request(lambda r: r.url.endswith("/ask/stream")) as sent:
        follow_up = visit.ask("How many Allies take part in it?")
    history = json.loads(sent.value.post_data)["history"]
    assert [turn["role"] for turn in history] == ["user", "assistant"]
    assert history[0]["content"] == "What is NORTHLINK?"
    assert "NORTHLINK" in first_answer

    expect(follow_up).to_have_attribute("data-state", ANSWERED)
    top = cards(follow_up)[0]["quote"]
    assert "NORTHLINK" in top and "13" in top
    # The headline says the answer leaned on the conversation; the first question was read alone.
    expect(follow_up.locator(".headline")).to_contain_text("read with your earlier questions")
    expect(first.locator(".headline")).not_to_contain_text("read with")
    expect(visit.page.locator(".turn.user")).to_have_count(2)

    visit.page.get_by_role("button", name="New conversation").click()
    expect(visit.page.locator(".turn")).to_have_count(0)
    with visit.page.expect_request(lambda r: r.url.endswith("/ask/stream")) as sent:
        visit.ask(RAMSTEIN_QUESTION)
    assert json.loads(sent.value.post_data)["history"] == []


def test_an_off_topic_question_is_shown_as_an_abstention_unlike_an_answer(visit):
    answered = visit.ask(RAMSTEIN_QUESTION)
    abstained = visit.ask(OFF_TOPIC)
    expect(abstained).to_have_attribute("data-state", "abstained")
    expect(abstained.locator(".headline")).to_have_text("No answer in the documents")
    expect(abstained).to_contain_text("The documents do not answer this question.")
    expect(abstained.locator(".abstention-reason")).to_have_text(
        "Nothing in the documents comes close to this question."
    )
    expect(abstained.locator(".card")).to_have_count(0)

    def look(turn: Locator) -> tuple[str, str]:
        return turn.evaluate("t => [getComputedStyle(t).backgroundColor, getComputedStyle(t).borderTopStyle]")

    assert look(abstained) != look(answered)
    assert look(abstained)[1] == "dashed"


def test_a_question_read_with_an_acronym_spelled_out_says_so(visit):
    turn = visit.ask("How long did the ISAF mission last?")
    expect(turn).to_have_attribute("data-state", "answered")
    expect(turn.locator(".headline")).to_contain_text(
        "read as “How long did the International Security Assistance Force mission last?”"
    )


def test_bad_input_and_a_failed_stream_are_shown_as_errors(visit):
    with visit.page.expect_console_message(lambda m: m.type == "error" and "422" in m.text) as logged:
        refused = visit.ask("?!")  # the API's 422: a question needs letters or digits
    visit.console_errors.remove(logged.value.text)  # Chromium's own line for any 4xx: expected here
    expect(refused).to_have_attribute("data-state", "failed")
    expect(refused.locator(".error-text")).to_contain_text("letters or digits")

    failure = {"error": {"type": "unavailable", "message": "the index went away", "details": []}}
    visit.page.route(
        "**/ask/stream",
        lambda route: route.fulfill(
            status=200, content_type="text/event-stream", body=f"event: error\ndata: {json.dumps(failure)}\n\n"
        ),
    )
    failed = visit.ask(RAMSTEIN_QUESTION)
    expect(failed).to_have_attribute("data-state", "failed")
    expect(failed.locator(".error-text")).to_contain_text("the index went away")


def test_disagreeing_sources_are_shown_side_by_side(visit, api):
    # The answerer reports `conflicts` only when it finds them; this stream is the one it would send for
    # the first space policy (2019 in one document, January 2022 in another), with the real spans.
    sides = [("002_685e0ef70b0e745a", 13377, 13454), ("000_0e2e3f937b961bac", 569, 652)]
    titles = {d["doc_id"]: d["title"] for d in api.get("/documents").json()["documents"]}
    citations = [
        {
            "id": number,
            "doc_id": doc_id,
            "title": titles[doc_id],
            "start": start,
            "end": end,
            "quote": source_text(SEEDS, doc_id)[start:end],
            "score": 0.8,
        }
        for number, (doc_id, start, end) in enumerate(sides, start=1)
    ]
    answer = {
        "question": "When did NATO adopt its first overarching space policy?",
        "answer": " ".join(f"“{c['quote']}” [{c['id']}]" for c in citations),
        "abstained": False,
        "citations": citations,
        "conflicts": [{"about": "when NATO adopted its first space policy", "citations": [1, 2]}],
    }
    events = [("citation", c) for c in citations] + [("answer", answer)]
    stream = "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events)

    def answer_with_conflict(route: Route) -> None:
        route.fulfill(status=200, content_type="text/event-stream", body=stream)

    visit.page.route("**/ask/stream", answer_with_conflict)
    turn = visit.ask(answer["question"])
    expect(turn).to_have_attribute("data-state", "conflicted")
    panel = turn.locator(".conflict")
    expect(panel.locator("h3")).to_have_text("Sources disagree about when NATO adopted its first space policy")
    expect(panel.locator(".card")).to_have_count(2)
    left, right = (panel.locator(".card").nth(i).bounding_box() for i in range(2))
    assert left["y"] == right["y"] and left["x"] + left["width"] <= right["x"]  # side by side
    panel.locator(".cite").nth(1).click()
    expect_highlighted(visit.page, citations[1])


def test_the_real_answer_shows_the_disagreements_the_api_reports(visit, api):
    question = "When did NATO adopt its first overarching space policy?"
    conflicts = api.post("/ask", json={"question": question}).json().get("conflicts", [])
    turn = visit.ask(question)
    expect(turn).to_have_attribute("data-state", "conflicted" if conflicts else "answered")
    panels = turn.locator(".conflict")
    expect(panels).to_have_count(len(conflicts))
    for number, conflict in enumerate(conflicts):
        expect(panels.nth(number).locator("h3")).to_have_text(f"Sources disagree about {conflict['about']}")
        shown = panels.nth(number).locator(".cite").evaluate_all("cites => cites.map(c => Number(c.dataset.citation))")
        assert shown == conflict["citations"]


def test_the_search_box_lists_passages_that_open_in_the_document(visit, api):
    expected = api.get("/search", params={"q": "APSS memorandum", "k": 5}).json()["passages"]
    visit.page.locator("#search-query").fill("APSS memorandum")
    visit.page.locator("#search-query").press("Enter")
    results = visit.page.locator("#search-results .result")
    expect(results).to_have_count(len(expected))
    assert results.locator(".passage").all_text_contents() == [p["text"] for p in expected]
    results.nth(0).get_by_role("button", name="Show in document").click()
    best = expected[0]
    expect_highlighted(visit.page, {**best, "quote": source_text(SEEDS, best["doc_id"])[best["start"] : best["end"]]})


@pytest.mark.parametrize(
    ("quote", "verdict"),
    [
        ("NATO's Space Operations Centre", "exact"),  # a straight apostrophe for the document's ’
        ("In 2021, Defence Ministers decided to establish a NATO Space Operations Centre", "close"),
        ("The moon is made of green cheese and is governed by a council of owls.", "not_found"),
    ],
    ids=["exact", "close", "not_found"],
)
def test_the_verify_box_tells_where_a_quote_is(visit, api, quote, verdict):
    expected = api.post("/verify", json={"quote": quote}).json()
    assert expected["verdict"] == verdict
    visit.page.locator("#verify-quote").fill(quote)
    visit.page.locator("#verify-quote").press("Enter")
    result = visit.page.locator("#verify-result")
    expect(result).to_have_attribute("data-verdict", verdict)
    location = expected["matches"][0] if verdict == "exact" else expected["closest"]
    if verdict == "exact":
        expect(result.locator(".result")).to_have_count(len(expected["matches"]))
    else:
        expect(result.locator(".quote")).to_have_text(location["text"])
    result.get_by_role("button", name="Show in document").first.click()
    expect_highlighted(visit.page, {**location, "quote": location["text"]})


def test_a_narrow_screen_stacks_the_document_over_the_chat_without_horizontal_scroll(browser, server, request):
    with open_page(browser, server, request, viewport={"width": 390, "height": 844}, is_mobile=True) as visit:
        page = visit.page
        turn = visit.ask(RAMSTEIN_QUESTION)
        turn.locator(".cite").first.click()
        expect(page.locator("mark.quoted")).to_be_in_viewport()
        view, chat = page.locator("#doc-view").bounding_box(), page.locator(".chat").bounding_box()
        assert view["y"] + view["height"] <= chat["y"]  # stacked, the document first
        assert view["width"] <= 390
        assert page.evaluate("document.documentElement.scrollWidth") <= page.evaluate("window.innerWidth")


def test_the_page_can_be_used_with_the_keyboard_alone(visit, api):
    page = visit.page
    expected = api.post("/ask", json={"question": RAMSTEIN_QUESTION}).json()["citations"]
    for _ in range(5):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "question":
            break
    else:
        pytest.fail("Tab does not reach the question box")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"  # focus is visible
    assert page.locator("#log").get_attribute("aria-live") == "polite"

    page.keyboard.type(RAMSTEIN_QUESTION)
    page.keyboard.press("Enter")
    expect(page.locator(".turn.assistant").first).to_have_attribute("data-state", ANSWERED)
    expect(page.locator("#question")).to_be_focused()

    for _ in range(5):  # back from the question box to the last citation of the answer
        page.keyboard.press("Shift+Tab")
        if page.evaluate("document.activeElement.classList.contains('cite')"):
            break
    else:
        pytest.fail("Shift+Tab does not reach a citation")
    cite = page.locator(".cite").last
    expect(cite).to_be_focused()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    citation = next(c for c in expected if str(c["id"]) == cite.get_attribute("data-citation"))

    for key in ("Enter", "Space"):
        page.keyboard.press(key)
        expect_highlighted(page, citation)
        expect(page.locator("#doc-title")).to_be_focused()
        page.keyboard.press("Escape")
        expect(page.locator("#doc-view")).to_be_hidden()
        expect(cite).to_be_focused()  # back where the reader was


def test_offsets_are_code_points_even_beyond_the_basic_multilingual_plane(visit):
    # The seeds happen to be within the BMP; JavaScript strings count UTF-16 units, Python code points.
    text = "NATO 🛰 space 𝔸 “quote” – é\U0001f680!"
    pairs = [(start, end) for start in range(len(text) + 1) for end in range(start, len(text) + 1)]
    split = visit.page.evaluate(
        """async ([text, pairs]) => {
            const { splitAtCodePoints } = await import("/static/text.js");
            return pairs.map(([start, end]) => splitAtCodePoints(text, start, end));
        }""",
        [text, pairs],
    )
    assert split == [[text[:start], text[start:end], text[end:]] for start, end in pairs]


def test_the_event_stream_is_parsed_whatever_the_chunks(visit):
    events = [("citation", '{"id": 1, "quote": "NATO’s “space” – 🛰"}'), ("answer", "line one\nline two")]
    body = ": a comment\r\n" + "".join(
        f"event: {name}\r\n" + "".join(f"data: {line}\r\n" for line in data.split("\n")) + "\r\n"
        for name, data in events
    )
    raw = body.encode()
    for size in (1, 2, 3, 7, len(raw)):  # cuts inside \r\n and inside multi-byte characters
        chunks = [list(raw[i : i + size]) for i in range(0, len(raw), size)]
        parsed = visit.page.evaluate(
            """async (chunks) => {
                const { readEvents } = await import("/static/sse.js");
                const body = new ReadableStream({
                    start(controller) {
                        for (const chunk of chunks) controller.enqueue(new Uint8Array(chunk));
                        controller.close();
                    },
                });
                const events = [];
                for await (const event of readEvents(new Response(body))) events.push([event.event, event.data]);
                return events;
            }""",
            chunks,
        )
        assert parsed == [list(event) for event in events], size


def test_the_upload_control_shows_only_with_keys_and_sends_the_file_with_the_key(visit, browser, server, tmp_path):
    expect(visit.page.locator("#upload-tool")).to_be_hidden()  # this server has no RAG_API_KEYS
    context = browser.new_context()
    sent: list[dict] = []

    def uploads(route: Route) -> None:
        body = {"enabled": True, "max_upload_bytes": 1000, "formats": [".txt", ".pdf"]}
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    def documents(route: Route) -> None:
        request = route.request
        if request.method != "POST":
            route.fallback()
            return
        sent.append({"auth": request.headers.get("authorization"), "body": request.post_data_buffer})
        written = {"doc_id": "walrus_0123456789abcdef", "title": "Walrus notes", "chunks": 1, "status": "created"}
        route.fulfill(status=201, content_type="application/json", body=json.dumps(written))

    context.route("**/uploads", uploads)
    context.route("**/documents", documents)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{server}/")
    expect(page.locator("#upload-tool")).to_be_visible()
    expect(page.locator("#upload-formats")).to_have_text(".txt, .pdf")
    big = tmp_path / "big.txt"
    big.write_text("x" * 2000)
    page.locator("#upload-key").fill("my-key")
    page.locator("#upload-file").set_input_files(str(big))
    page.locator("#upload-send").click()
    expect(page.locator("#upload-status")).to_contain_text("over the limit")
    notes = tmp_path / "walrus.txt"
    notes.write_text("The walrus survey of 2021 counted 412 animals.")
    page.locator("#upload-file").set_input_files(str(notes))
    page.locator("#upload-send").click()
    expect(page.locator("#upload-status")).to_contain_text("“Walrus notes” (walrus_0123456789abcdef) added")
    assert sent[0]["auth"] == "Bearer my-key"
    # (Chromium leaves the file's bytes out of an intercepted request's body; the API tests send real files.)
    assert b'name="file"; filename="walrus.txt"' in sent[0]["body"]
    assert page.evaluate("sessionStorage.getItem('rag-api-key')") == "my-key"
    assert page.evaluate("localStorage.length") == 0, "the key is kept in the tab's session only"
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "upload.png", full_page=True)
    context.close()
    assert errors == []
