"""In a real browser (Playwright driving the system Chromium): one server and one browser
for the whole module. Screenshots of every page go to docs/screenshots/.

Without /usr/bin/chromium these tests skip, unless REQUIRE_BROWSER=1 (CI), which makes a
missing browser a failure."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from salesrelay import migrate
from salesrelay.app import create_app
from salesrelay.config import Settings
from salesrelay.db import make_engine, make_sessionmaker
from web import browser_world

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _need_browser():
    missing = None
    if not Path(CHROMIUM).exists():
        missing = f"{CHROMIUM} is not installed (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            missing = "the playwright package is not installed"
    if missing:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {missing}")
        pytest.skip(missing)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    _need_browser()
    import uvicorn

    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'salesrelay.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    world = browser_world.build(make_sessionmaker(engine), datetime.now(UTC))
    engine.dispose()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app(Settings(database_url=url, environment="test", base_url=base))
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running.started, "the test server did not start"
    yield base, world
    running.should_exit = True
    thread.join(timeout=10)
    app.state.engine.dispose()


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def visit(server, browser):
    """A fresh browser context (its own cookies) with console errors collected."""
    base, world = server
    contexts = []

    def open_as(email: str | None):
        context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 860})
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        if email:
            page.goto("/sign-in")
            page.fill("#email", email)
            page.fill("#password", world.password)
            page.press("#password", "Enter")
            page.wait_for_load_state()
        return page

    yield open_as
    for context in contexts:
        context.close()


def shot(page, name: str, full: bool = False) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full)


def _deadlines(page) -> list[datetime]:
    values = page.locator("#queue time[data-due]").evaluate_all(
        "els => els.map(e => e.dataset.due)"
    )
    return [datetime.fromisoformat(v) for v in values]


def test_a_rep_works_the_queue_accepts_a_handoff_and_stops_a_clock(server, visit):
    _, world = server
    anonymous = visit(None)
    anonymous.goto("/sign-in")
    shot(anonymous, "sign-in")

    page = visit("cal@salesrelay.demo")
    assert page.url.endswith("/queue")
    due = _deadlines(page)
    assert len(due) >= 4 and due == sorted(due), "the queue is ordered by nearest deadline"
    overdue = page.locator("#queue tr.overdue")
    assert overdue.count() >= 1 and "overdue by" in overdue.first.inner_text()
    page.wait_for_timeout(1100)  # the countdown ticks in the browser
    shot(page, "queue")

    page.click("text=Open the handoff inbox")
    row = page.locator(f"tr[data-handoff='{world.waiting_handoff}']")
    assert "$60k a year" in row.inner_text()
    shot(page, "handoffs")
    row.locator("button", has_text="Accept").click()
    page.wait_for_url(f"**/journeys/{world.waiting_journey}")
    assert "Accepted handoff" in page.locator(".flash").inner_text()
    clock = page.locator("#clocks-h + ul li", has_text="discovery follow up")
    assert "running" in clock.inner_text()

    page.select_option("#channel", "call")
    page.fill("#touch-note", "Confirmed the discovery call")
    page.click("text=Log touch")
    page.wait_for_load_state()
    assert "Clock stopped: discovery follow up" in page.locator(".flash").inner_text()
    assert page.locator("#clocks-h + ul li .badge.met").count() >= 1
    assert "Confirmed the discovery call" in page.locator(".timeline").inner_text()
    shot(page, "journey", full=True)
    assert page.errors == []


def test_a_rep_cannot_open_another_reps_journey(server, visit):
    _, world = server
    page = visit("ana@salesrelay.demo")
    response = page.goto(f"/journeys/{world.other_reps_journey}")
    assert response.status == 404
    assert "There is no journey" in page.inner_text("main")
    api = page.request.get(f"/api/v1/journeys/{world.other_reps_journey}")
    assert api.status == 404


def test_a_form_without_its_csrf_token_is_refused(server, visit):
    page = visit("ana@salesrelay.demo")
    page.goto("/team")
    page.evaluate("document.querySelectorAll('input[name=csrf_token]').forEach(e => e.remove())")
    page.locator("summary", has_text="Add time off").first.click()
    form = page.locator("form[action$='/absences']").first
    form.locator("input[name=starts]").fill("2030-01-01")
    form.locator("input[name=ends]").fill("2030-01-02")
    with page.expect_response(re.compile(r"/absences$")) as answer:
        form.locator("button").click()
    assert answer.value.status == 403
    assert "not sent from a SalesRelay page" in page.inner_text("main")


def test_an_invalid_playbook_edit_shows_its_line_and_changes_nothing(server, visit):
    page = visit("admin@salesrelay.demo")
    page.goto("/playbook")
    shot(page, "playbook", full=True)
    before = page.locator("#versions tbody tr").count()
    active = page.locator("h1").inner_text()
    text = page.input_value("#yaml")
    broken = text.replace("role: closing, label: Discovery", "role: closers, label: Discovery", 1)
    lines = broken.splitlines()
    line = lines.index(next(text for text in lines if "role: closers" in text))
    page.fill("#yaml", broken)
    page.click("text=Validate and install")
    page.wait_for_load_state()
    errors = page.locator("#playbook-errors")
    assert "Nothing was changed" in errors.inner_text()
    assert f"line {line + 1}" in errors.inner_text() and "closers" in errors.inner_text()
    assert page.locator(f"#line-{line + 1}.bad").count() == 1
    shot(page, "playbook-error")
    page.goto("/playbook")
    assert page.locator("h1").inner_text() == active
    assert page.locator("#versions tbody tr").count() == before


def test_a_manager_sees_every_page_and_every_chart(server, visit):
    page = visit("morgan@salesrelay.demo")
    page.goto("/dashboard")
    charts = page.locator("[data-chart]")
    assert charts.count() >= 5
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-chart]')]"
        ".every(c => c.querySelector('svg.main-svg'))",
        timeout=15_000,
    )
    for index in range(charts.count()):
        link = charts.nth(index).locator("xpath=..").locator("a.journeys-link")
        assert link.count() == 1
    shot(page, "dashboard", full=True)
    for path, name in (("/team", "team"), ("/routing", "routing"), ("/journeys", "journeys")):
        page.goto(path)
        shot(page, name)
    link = page.locator("#journeys tbody a").first
    link.click()
    page.wait_for_load_state()
    assert page.errors == []


def test_the_handoff_form_previews_the_customer_intro(server, visit):
    _, world = server
    page = visit("ana@salesrelay.demo")
    page.goto(f"/journeys/{world.qualifying_journey}")
    page.locator("a", has_text="Hand off to Discovery").click()
    page.wait_for_load_state()
    page.fill("#f_budget", "$50k a year")
    page.fill("#f_need", "answer every lead in minutes")
    page.click("text=Preview the intro")
    page.wait_for_load_state()
    intro = page.locator("pre.intro").inner_text()
    assert "will work with you" in intro and "Ana Silva" in intro
    assert "will take it from here" in page.inner_text("#preview-h ~ p strong")
    assert "missing: Decision maker" in page.inner_text("main")
    shot(page, "handoff-form", full=True)
    admin = visit("admin@salesrelay.demo")
    admin.goto("/settings/users")
    shot(admin, "settings")
    assert page.errors == [] and admin.errors == []
