"""The OpenAPI schema and its two browsable renderings, served without any CDN."""

import re
from io import StringIO

import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.validation import validate_schema

ASSET = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_use_only_local_assets(client, path):
    response = client.get(path)

    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"https?://", html), "the docs page must not load anything remotely"
    assets = [url for url in ASSET.findall(html) if url.startswith("/static/")]
    assert assets, "the page should load its JavaScript from this site"
    for url in assets:
        asset = client.get(url)
        assert asset.status_code == 200, url
        b"".join(asset.streaming_content)


def test_schema_endpoint_serves_a_valid_openapi_document(client):
    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    assert schema["info"]["title"] == "Psico API"
    assert "/api/auth/login/" in schema["paths"]
    assert "tokenAuth" in schema["components"]["securitySchemes"]


def test_schema_generation_emits_no_warnings(tmp_path):
    target = tmp_path / "openapi.yaml"
    stderr = StringIO()

    # --fail-on-warn turns any drf-spectacular warning or error into a CommandError.
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(target),
        stderr=stderr,
    )

    assert "Warning" not in stderr.getvalue()
    assert yaml.safe_load(target.read_text())["openapi"].startswith("3.")
