"""The site's URLs plus ``bench/bare/``: a plain Django view answering a fixed JSON object."""

from django.http import JsonResponse
from django.urls import path

from config.urls import handler404
from config.urls import urlpatterns as site_urlpatterns

# About the size of a patient's GET /api/users/me/ answer, so that both send alike.
BARE_BODY = {
    "id": 1,
    "email": "paciente@bench.psico.test",
    "first_name": "Ana",
    "last_name": "Quispe",
    "full_name": "Ana Quispe",
    "user_type": "patient",
    "phone": "",
    "gender": "",
    "date_of_birth": None,
    "profile_picture": None,
    "email_verified": False,
    "patient_profile": {"emergency_contact": "", "emergency_phone": ""},
    "professional_profile": None,
}


def bare_json(request):
    return JsonResponse(BARE_BODY)


urlpatterns = [path("bench/bare/", bare_json, name="bench-bare"), *site_urlpatterns]

__all__ = ["handler404", "urlpatterns"]
