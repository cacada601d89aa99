"""The web page's files as the app serves them (FastAPI's TestClient; the browser tests use them for real)."""

import re

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.routes.ui import STATIC_DIR
from rag.citations import ABSTENTION_REASONS
from rag.settings import Settings

from .conftest import SEEDS

CONTENT_TYPES = {
    ".html": ("text/html",),
    ".css": ("text/css",),
    ".js": ("text/javascript", "application/javascript"),
    ".svg": ("image/svg+xml",),
}
ASSETS = sorted(p.name for p in STATIC_DIR.iterdir() if p.is_file())
# A URL that names no host the page loads from: the SVG namespace is an identifier, never fetched.
NOT_FETCHED = {"http://www.w3.org/2000/svg"}


@pytest.fixture(scope="module")
def client(components):
    with TestClient(create_app(components=components)) as test_client:
        yield test_client


def test_the_page_is_html_that_loads_only_its_own_files(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.text.startswith("<!doctype html>")
    # The browser refuses anything from another host, and inline script.
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    linked = re.findall(r'(?:src|href)="([^"]*)"', response.text)
    assert {"/static/app.js", "/static/style.css", "/static/favicon.svg"} <= set(linked)
    assert all(url.startswith("/static/") for url in linked), linked
    assert client.head("/").status_code == 200


def test_the_page_is_served_while_the_index_loads():
    app = create_app(Settings(seeds_dir=SEEDS))  # never loaded: the lifespan does not run without `with`
    client = TestClient(app)
    assert client.get("/readyz").status_code == 503
    assert client.get("/").status_code == 200
    assert client.get("/static/app.js").status_code == 200


@pytest.mark.parametrize("name", ASSETS)
def test_every_asset_is_served_with_its_content_type(client, name):
    response = client.get(f"/static/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] in CONTENT_TYPES[STATIC_DIR.joinpath(name).suffix]
    assert response.content == (STATIC_DIR / name).read_bytes()


@pytest.mark.parametrize("name", ASSETS)
def test_no_asset_refers_to_another_host(name):
    text = (STATIC_DIR / name).read_text(encoding="utf-8")
    # Protocol-relative "//host" too (a "// comment" has a space after the slashes).
    urls = set(re.findall(r"""(?:https?:)?//[^\s"'`)<>]+""", text)) - NOT_FETCHED
    assert not urls, urls
    assert "@import" not in text and "@font-face" not in text


def test_every_module_the_script_imports_is_served(client):
    imported = re.findall(r'from "\./([\w.-]+)"', (STATIC_DIR / "app.js").read_text(encoding="utf-8"))
    assert imported
    for name in imported:
        assert client.get(f"/static/{name}").status_code == 200


def test_the_page_shadows_no_api_route_and_is_not_in_the_schema(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert "/" not in paths and not any(path.startswith("/static") for path in paths)
    assert client.get("/docs").status_code == 200
    assert client.get("/healthz").json() == {"status": "alive"}


@pytest.mark.parametrize("path", ["/static/missing.js", "/static/../routes/ui.py", "/static/%2e%2e/app.py"])
def test_a_missing_or_outside_file_is_a_json_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found"


def test_the_page_says_each_abstention_reason_in_the_services_words():
    # The page keeps its own copy of the sentences (rag/citations.py ABSTENTION_REASONS): they must not drift.
    script = STATIC_DIR.joinpath("app.js").read_text(encoding="utf-8")
    for reason, sentence in ABSTENTION_REASONS.items():
        assert f"{reason}:" in script and sentence in script, reason
