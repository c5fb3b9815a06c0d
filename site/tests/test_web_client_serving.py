"""The reference web client's build is served at /app/ by WhiteNoise, when there is one."""

from urllib.parse import urljoin

import pytest


@pytest.fixture
def web_build(tmp_path, settings):
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(
        '<!doctype html><html lang="es"><title>Psico</title>'
        '<script type="module" src="/app/assets/index-AbC123xy.js"></script></html>'
    )
    (tmp_path / "assets" / "index-AbC123xy.js").write_text("console.log('psico');")
    settings.WEB_CLIENT_ROOT = tmp_path
    return tmp_path


def content(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.django_db
def test_the_app_page_is_served(client, web_build):
    response = client.get("/app/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b'<html lang="es">' in content(response)
    assert "immutable" not in response.get("Cache-Control", "")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/app", "/app/index.html"])
def test_other_spellings_redirect_to_the_app(client, web_build, path):
    response = client.get(path)

    assert response.status_code in (301, 302)
    # WhiteNoise's redirects are relative ("./", "app/").
    assert urljoin(f"http://testserver{path}", response["Location"]) == "http://testserver/app/"


@pytest.mark.django_db
def test_hashed_assets_are_cached_forever(client, web_build):
    response = client.get("/app/assets/index-AbC123xy.js")

    assert response.status_code == 200
    assert content(response) == b"console.log('psico');"
    assert "immutable" in response["Cache-Control"]


@pytest.mark.django_db
def test_nothing_outside_the_build_is_served(client, web_build):
    (web_build.parent / "secret.txt").write_text("no")

    assert client.get("/app/../secret.txt").status_code == 404
    assert client.get("/app/nothing.js").status_code == 404


@pytest.mark.django_db
def test_without_a_build_app_is_a_404(client, settings, tmp_path):
    settings.WEB_CLIENT_ROOT = tmp_path / "missing"

    assert client.get("/app/").status_code == 404
