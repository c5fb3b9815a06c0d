"""Spanish by default; English on request through Accept-Language."""

import pytest


@pytest.mark.django_db
def test_messages_are_spanish_by_default(client):
    response = client.get("/api/users/me/")

    assert response.status_code == 401
    assert response.json() == {"detail": "Las credenciales de autenticación no se proveyeron."}
    assert response["Content-Language"] == "es"


@pytest.mark.django_db
def test_accept_language_english(client):
    response = client.get("/api/users/me/", headers={"Accept-Language": "en"})

    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert response["Content-Language"] == "en"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "message"),
    [(None, "Este campo es requerido."), ("en", "This field is required.")],
)
def test_validation_messages_follow_the_language(api_client_for, language, message):
    response = api_client_for(None, language=language).post("/api/auth/login/", {}, format="json")

    assert response.status_code == 400
    assert response.json()["email"] == [message]
