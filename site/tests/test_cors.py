"""The clinic's front ends may call the API from the browser; other sites may not."""

import pytest

VERCEL = "https://psico-admin-sp1-despliegue-front.vercel.app"


@pytest.mark.parametrize("origin", [VERCEL, "http://localhost:5173"])
def test_preflight_from_an_allowed_front_end(client, origin):
    response = client.options(
        "/api/auth/login/",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == origin
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert "authorization" in response["Access-Control-Allow-Headers"]


def test_no_cors_header_for_another_origin(client):
    response = client.options(
        "/api/auth/login/",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )

    assert "Access-Control-Allow-Origin" not in response


@pytest.mark.django_db
def test_simple_request_from_the_front_end_is_allowed(client):
    response = client.get("/healthz", headers={"Origin": VERCEL})

    assert response["Access-Control-Allow-Origin"] == VERCEL


PREVIEWS = r"^https://[a-z0-9-]+-clinic\.vercel\.app$"


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://pr-12-clinic.vercel.app", True),
        ("https://clinic.vercel.app", False),
        ("https://pr-12-clinic.vercel.app.evil.example", False),
        ("http://pr-12-clinic.vercel.app", False),
    ],
)
def test_preflight_from_an_origin_matching_a_pattern(client, settings, origin, allowed):
    settings.CORS_ALLOWED_ORIGIN_REGEXES = [PREVIEWS]

    response = client.options(
        "/api/auth/login/",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
    )

    assert (response.get("Access-Control-Allow-Origin") == origin) is allowed
