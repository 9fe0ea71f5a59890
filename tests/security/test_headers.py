"""Every page carries the security headers, and no page can need inline script: the CSP
allows scripts only from our own origin, so a page template may load scripts by `src` and
hold JSON data blocks, but never a script body or an inline event handler."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from salesrelay.web import rendering
from web.support import signed_in
from web.test_permissions import routes

TEMPLATES = Path(rendering.HERE) / "templates"
NOT_PAGES = ("/api/", "/docs", "/redoc", "/openapi.json")


def page_paths(app, world) -> list[str]:
    values = {
        "journey_id": world.own_journey,
        "handoff_id": world.own_handoff,
        "rep_id": world.reps["ana"],
        "user_id": world.user_ids["rep"],
    }
    paths = []
    for method, path in routes(app):
        if method == "GET" and not path.startswith(NOT_PAGES):
            paths.append(re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path))
    return paths


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in policy.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def assert_secure_headers(response, what: str) -> None:
    headers = response.headers
    policy = directives(headers.get("content-security-policy", "missing"))
    assert policy.get("script-src") == ["'self'"], f"{what}: script-src {policy.get('script-src')}"
    assert policy.get("frame-ancestors") == ["'none'"], what
    assert policy.get("object-src") == ["'none'"], what
    assert "unsafe-inline" not in policy.get("default-src", []), what
    assert headers.get("x-content-type-options") == "nosniff", what
    assert headers.get("referrer-policy") in ("same-origin", "no-referrer", "strict-origin"), what


class InlineScriptFinder(HTMLParser):
    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self._in_script = None

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            if name in ("href", "src", "action") and (value or "").strip().startswith(
                "javascript:"
            ):
                self.problems.append(f"<{tag} {name}=javascript:…>")
        if tag == "script":
            attributes = dict(attrs)
            data_block = attributes.get("type") == "application/json"
            self._in_script = "data" if data_block else "src" if attributes.get("src") else "inline"

    def handle_data(self, data):
        if self._in_script == "inline" and data.strip():
            self.problems.append(f"inline script: {data.strip()[:60]!r}")
        if self._in_script == "src" and data.strip():
            self.problems.append("a script with src has a body too")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = None


def inline_script_in(html: str) -> list[str]:
    finder = InlineScriptFinder()
    finder.feed(html)
    return finder.problems


def test_every_page_has_the_security_headers_and_no_inline_script(app, world):
    paths = page_paths(app, world)
    assert {"/sign-in", "/queue", "/dashboard", "/settings/users"} <= set(paths)
    checked = 0
    for who in (None, "root@seller.example", "ana@seller.example"):
        client = signed_in(app, who)
        for path in paths:
            response = client.get(path)
            assert_secure_headers(response, f"{who} GET {path} ({response.status_code})")
            if "text/html" in response.headers.get("content-type", ""):
                assert not inline_script_in(response.text), (path, inline_script_in(response.text))
                checked += response.status_code == 200
    assert checked >= 10  # pages really rendered, not only redirects


def test_error_pages_and_redirects_have_them_too(app, world):
    admin = signed_in(app, "root@seller.example")
    for response in (
        admin.get("/journeys/999999"),
        signed_in(app, "ana@seller.example").get("/settings/users"),
        signed_in(app, None).get("/queue"),
        admin.get("/no-such-page"),
        admin.post("/journeys/1/touches", data={"csrf_token": "forged"}),
    ):
        assert response.status_code in (303, 403, 404), response.status_code
        assert_secure_headers(response, f"{response.request.url} {response.status_code}")


def test_no_template_holds_inline_script_or_event_handlers():
    templates = sorted(TEMPLATES.rglob("*.html"))
    assert len(templates) >= 10
    for template in templates:
        text = template.read_text()
        # Jinja blocks are not HTML; an expression inside an attribute is harmless here.
        problems = inline_script_in(re.sub(r"{%.*?%}", "", text, flags=re.S))
        assert not problems, f"{template.name}: {problems}"
        assert not re.search(r"\son[a-z]+\s*=", text, flags=re.I), template.name


def test_the_finder_catches_what_it_must():
    assert inline_script_in("<script>alert(1)</script>")
    assert inline_script_in('<a href="#" onclick="go()">x</a>')
    assert inline_script_in('<a href="javascript:go()">x</a>')
    assert not inline_script_in('<script src="/static/a.js" defer></script>')
    assert not inline_script_in('<script type="application/json" id="d">{"a": 1}</script>')
