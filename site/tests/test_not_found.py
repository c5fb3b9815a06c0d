"""URLs that no route matches: JSON under /api/, Django's page elsewhere."""

import pytest


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/api/users/abc/", "/api/appointments/availability/0.5/", "/api/nothing-here/"]
)
def test_unmatched_api_urls_answer_404_in_the_api_shape(client, path):
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


@pytest.mark.django_db
def test_other_unmatched_urls_keep_django_404_page(client):
    response = client.get("/nothing-here/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "detail"),
    [(None, "No encontrado."), ("es", "No encontrado."), ("en", "Not found.")],
)
@pytest.mark.parametrize(
    "path",
    [
        "/api/appointments/appointments/999999999/",
        "/api/appointments/appointments/999999999/cancel/",
        "/api/professionals/999999999/",
    ],
)
def test_a_missing_object_is_not_found_in_the_users_language_without_model_names(
    client, patient, path, language, detail
):
    client.force_login(patient)
    headers = {"Accept-Language": language} if language else {}

    method = client.post if path.endswith("/cancel/") else client.get
    response = method(path, headers=headers)

    assert response.status_code == 404
    assert response.json() == {"detail": detail}
    assert b"matches the given query" not in response.content


@pytest.mark.django_db
def test_someone_elses_appointment_is_not_found_without_model_names(client, appointment):
    from psico_accounts.testing.factories import PatientFactory

    client.force_login(PatientFactory())

    response = client.get(f"/api/appointments/appointments/{appointment.pk}/")

    assert response.status_code == 404
    assert response.json() == {"detail": "No encontrado."}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "title"), [(None, "Página no encontrada"), ("en", "Page not found")]
)
def test_the_page_not_found_speaks_the_users_language(client, settings, language, title):
    settings.DEBUG = False
    headers = {"Accept-Language": language} if language else {}

    response = client.get("/nothing-here/", headers=headers)

    assert response.status_code == 404
    assert f"<h1>{title}</h1>" in response.content.decode()
    assert b"Not Found" not in response.content


@pytest.mark.django_db
def test_the_server_error_page_is_in_spanish_by_default(client, settings):
    from django.views.defaults import server_error

    settings.DEBUG = False
    request = client.get("/healthz").wsgi_request

    response = server_error(request)

    assert response.status_code == 500
    assert "<h1>Error del servidor</h1>" in response.content.decode()
