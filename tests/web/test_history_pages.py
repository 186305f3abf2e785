"""The pages of issue 14 over HTTP: /history behind sign-in, and the HTML 404 a browser gets
for a page that does not exist while the API keeps its JSON errors."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.web.helpers import assert_error, signup

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize("path", ["/nowhere", "/trade/extra", "/signin/x"])
async def test_a_browser_gets_an_html_404(client: TestClient[Any, Any], path: str) -> None:
    response = await client.get(path, headers={"Accept": BROWSER})
    assert response.status == 404
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    page = await response.text()
    assert "This page does not exist" in page
    assert 'href="/" data-testid="home-link"' in page


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        ("/nowhere", "application/json"),
        ("/nowhere", "*/*"),
        ("/api/v1/nowhere", BROWSER),
        ("/api/v1/order/12345", BROWSER),
    ],
)
async def test_the_api_keeps_json(client: TestClient[Any, Any], path: str, accept: str) -> None:
    user = await signup(client)
    response = await user.call("GET", path, headers={"Accept": accept})
    assert response.status == 404
    assert response.headers["Content-Type"] == "application/json"
    assert_error(await response.json(), "NOT_FOUND")


async def test_a_post_to_nowhere_stays_json(client: TestClient[Any, Any]) -> None:
    response = await client.post("/nowhere", headers={"Accept": BROWSER}, data=b"")
    assert response.status == 404
    assert_error(await response.json(), "NOT_FOUND")


async def test_history_page_needs_a_session(client: TestClient[Any, Any]) -> None:
    response = await client.get("/history", allow_redirects=False)
    assert (response.status, response.headers["Location"]) == (302, "/signin")
    await client.post(
        "/api/v1/user/signup", json={"email": "h@example.com", "password": "correct horse"}
    )
    response = await client.get("/history")
    assert response.status == 200
    assert 'data-testid="history-table"' in await response.text()


def test_the_ticket_offers_what_the_api_document_says(monkeypatch: pytest.MonkeyPatch) -> None:
    """LIMIT and STOP because the open request documents ``type``, OCO because
    ``/api/v1/order/oco`` is documented (SPEC 12); a server without them offers MARKET."""
    import velox.web.pages as pages
    from velox.config import Settings
    from velox.web.openapi import document_for

    settings = Settings()
    assert pages.order_types(settings) == ["MARKET", "LIMIT", "STOP", "OCO"]
    document = document_for(settings)
    del document["components"]["schemas"]["OpenRequest"]["properties"]["type"]
    del document["paths"]["/api/v1/order/oco"]
    monkeypatch.setattr(pages, "document_for", lambda _settings: document)
    assert pages.order_types(settings) == ["MARKET"]


async def test_the_trade_page_offers_the_order_types(client: TestClient[Any, Any]) -> None:
    await client.post(
        "/api/v1/user/signup", json={"email": "t@example.com", "password": "correct horse"}
    )
    page = await (await client.get("/trade")).text()
    assert 'data-order-types="MARKET,LIMIT,STOP,OCO"' in page
    assert 'id="type-group" data-testid="type-group">' in page
    for kind in ("market", "limit", "stop", "oco"):
        assert f'data-testid="type-{kind}"' in page
