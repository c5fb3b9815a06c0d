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
