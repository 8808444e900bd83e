"""Chart URLs are signed, expire, and work only with the key of the asker they were made for."""

from __future__ import annotations

import hashlib
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_fake_service import FakeAskService
from fastapi import FastAPI
from fastapi.testclient import TestClient

from metricqa.core.asker import Asker
from metricqa.core.settings import Settings
from metricqa.integrations.api.app import create_app
from metricqa.integrations.api.chart_links import (
    ChartLinkError,
    ChartSecretError,
    ChartSigner,
    asker_identity,
)

EAST = "chart-east-key-00001"
WEST = "chart-west-key-00002"
EXEC = "chart-exec-key-00003"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def keys_yaml() -> str:
    return (
        "keys:\n"
        f"  - {{key: {EAST}, user: li, role: regional_manager, scope: {{region: EAST}}}}\n"
        f"  - {{key: {WEST}, user: li, role: regional_manager, scope: {{region: NORTH}}}}\n"
        f"  - {{key_sha256: {hashlib.sha256(EXEC.encode()).hexdigest()}, user: ceo, role: exec}}\n"
    )


def make_settings(home: Path, **extra: Any) -> Settings:
    (home / "keys.yaml").write_text(keys_yaml(), encoding="utf-8")
    return Settings(home=home, api_keys_file=home / "keys.yaml", chart_dir=home / "charts", **extra)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return create_app(FakeAskService(), make_settings(tmp_path_factory.mktemp("links")))


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def chart_link(client: TestClient, key: str) -> str:
    resp = client.post("/api/ask", json={"question": "revenue by region"}, headers={"X-API-Key": key})
    assert resp.status_code == 200, resp.text
    url: str = resp.json()["chart"]["url"]
    return url


def test_the_asker_gets_their_chart(client: TestClient) -> None:
    resp = client.get(chart_link(client, EXEC), headers={"X-API-Key": EXEC})
    assert resp.status_code == 200 and resp.content.startswith(PNG_MAGIC)


@pytest.mark.parametrize("other", [EAST, WEST])  # another user; the same user with another scope
def test_another_askers_key_cannot_fetch_the_link(client: TestClient, other: str) -> None:
    resp = client.get(chart_link(client, EXEC), headers={"X-API-Key": other})
    assert resp.status_code == 403
    body = resp.json()
    assert body["kind"] == "chart_link" and body["ok"] is False
    assert body["error"].startswith("This chart link is not valid for your API key")


def test_a_link_without_signature_or_with_a_changed_expiry_is_refused(client: TestClient) -> None:
    url = chart_link(client, EAST)
    bare = url.split("?")[0]
    exp = int(url.split("exp=")[1].split("&")[0])
    forged = url.replace(f"exp={exp}", f"exp={exp + 86400}")
    for candidate in (bare, forged, url.replace("sig=", "sig=0")):
        assert client.get(candidate, headers={"X-API-Key": EAST}).status_code == 403
    assert client.get(url, headers={"X-API-Key": EAST}).status_code == 200
    assert client.get(url).status_code == 401  # a link is no key


def test_an_expired_link_is_refused_in_the_askers_language(client: TestClient, app: FastAPI) -> None:
    url = chart_link(client, EAST)
    name = url.split("/api/charts/")[1].split("?")[0]
    east = Asker(role="regional_manager", scope={"region": "EAST"}, user="api:li")
    exp, sig = app.state.chart_signer.sign(name, east, time.time() - 2 * 3600)
    resp = client.get(
        f"/api/charts/{name}?exp={exp}&sig={sig}", headers={"X-API-Key": EAST, "Accept-Language": "zh-CN"}
    )
    assert resp.status_code == 403
    assert resp.json()["error"].startswith("该图表链接已过期")


def test_the_signer_checks_name_asker_and_expiry() -> None:
    signer = ChartSigner(secret=b"k" * 32, ttl_s=60)
    asker = Asker(role="r", scope={"a": "1", "b": "2"}, user="u")
    exp, sig = signer.sign("c.png", asker, now=1000.0)
    assert exp == 1060
    signer.check("c.png", Asker(role="r", scope={"b": "2", "a": "1"}, user="u"), exp, sig, now=1060.0)
    for name, who, now, message in [
        ("d.png", asker, 1000.0, "error.chart_link_invalid"),
        ("c.png", Asker(role="r", scope={"a": "1"}, user="u"), 1000.0, "error.chart_link_invalid"),
        ("c.png", Asker(role="x", scope={"a": "1", "b": "2"}, user="u"), 1000.0, "error.chart_link_invalid"),
        ("c.png", asker, 1060.5, "error.chart_link_expired"),
    ]:
        with pytest.raises(ChartLinkError) as caught:
            signer.check(name, who, exp, sig, now=now)
        assert caught.value.message.id == message
    assert ChartSigner(secret=b"j" * 32, ttl_s=60).sign("c.png", asker, 1000.0)[1] != sig
    assert asker_identity(asker) == '["u", "r", [["a", "1"], ["b", "2"]]]'


def test_the_secret_is_made_once_per_home_kept_private_and_shared(tmp_path: Path) -> None:
    first = ChartSigner.from_settings(Settings(home=tmp_path))
    again = ChartSigner.from_settings(Settings(home=tmp_path))
    assert first.secret == again.secret and len(first.secret) == 64
    assert stat.S_IMODE((tmp_path / "chart_url_secret").stat().st_mode) == 0o600
    other = ChartSigner.from_settings(Settings(home=tmp_path / "elsewhere"))
    assert other.secret != first.secret
    configured = ChartSigner.from_settings(Settings(home=tmp_path, chart_url_secret="set-by-operator"))
    assert configured.secret == b"set-by-operator"


def test_an_edited_secret_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "chart_url_secret").write_text("short")
    with pytest.raises(ChartSecretError) as caught:
        ChartSigner.from_settings(Settings(home=tmp_path))
    assert "chart_url_secret" in caught.value.message_for("en")
    assert "METRICQA_CHART_URL_SECRET" in caught.value.message_for("zh")


def test_demo_mode_links_work_without_a_key(tmp_path: Path) -> None:
    app = create_app(FakeAskService(), make_settings(tmp_path, demo_mode=True))
    with TestClient(app) as c:
        url = c.post("/api/ask", json={"question": "revenue by region"}).json()["chart"]["url"]
        assert c.get(url).status_code == 200
        assert c.get(url, headers={"X-API-Key": EXEC}).status_code == 403  # made for the demo asker
