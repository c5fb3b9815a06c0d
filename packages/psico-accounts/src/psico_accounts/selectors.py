"""Reads for accounts: querysets shaped so that their serializers run a fixed number of queries."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from psico_core.converters import DATABASE_ID_MAX_DIGITS
from psico_core.precompiled import PrecompiledQuery
from psico_core.query import SEARCH_MAX_WORDS

from .conf import accounts_settings
from .models import DeviceToken, ProfessionalProfile, Specialization, User, UserType


def _specializations_prefetch(lookup: str) -> Prefetch:
    return Prefetch(lookup, queryset=Specialization.objects.order_by("name"))


def users_with_profiles() -> QuerySet[User]:
    """Every user, with both profiles and the professional's specializations loaded."""
    return User.objects.select_related("patient_profile", "professional_profile").prefetch_related(
        _specializations_prefetch("professional_profile__specializations")
    )


def user_with_profiles(*, user_id: int) -> User:
    """One user as :func:`users_with_profiles` loads it; ``Http404`` when there is none."""
    try:
        return users_with_profiles().get(pk=user_id)
    except User.DoesNotExist as exc:
        raise Http404 from exc


# What _specializations_prefetch() reads for one profile, compiled once per process. The sample
# stands for the profile's id while the query is compiled; it is never sent to the database.
_SPECIALIZATIONS_OF_PROFILE = PrecompiledQuery(
    lambda profile_id: Specialization.objects.filter(professionals__pk=profile_id).order_by("name"),
    2_000_000_011,
)


def user_profiles_loaded(*, user: User) -> User:
    """``user`` with what :func:`users_with_profiles` loads, reading as little as possible.

    When both profiles were already joined to the user (as by the token authentication of
    ``GET /users/me/``), only a professional's specializations are read (one query); otherwise
    the user is read again as :func:`user_with_profiles` does.
    """
    if not (User.patient_profile.is_cached(user) and User.professional_profile.is_cached(user)):
        return user_with_profiles(user_id=user.pk)
    profile = user.professional_profile if hasattr(user, "professional_profile") else None
    if profile is not None and "specializations" not in getattr(
        profile, "_prefetched_objects_cache", {}
    ):
        # As prefetch_related() leaves them (``profile.specializations.all()`` reads no more),
        # from one query compiled once instead of the prefetch machinery's.
        specializations = profile.specializations.all()
        specializations._result_cache = _SPECIALIZATIONS_OF_PROFILE(profile.pk)
        specializations._prefetch_done = True  # type: ignore[attr-defined]
        profile._prefetched_objects_cache = {  # type: ignore[attr-defined]
            **getattr(profile, "_prefetched_objects_cache", {}),
            "specializations": specializations,
        }
    return user


def professional_profile_of(*, user: User) -> ProfessionalProfile:
    """The professional's own profile with its specializations; ``Http404`` if it has none."""
    try:
        return (
            ProfessionalProfile.objects.select_related("user")
            .prefetch_related(_specializations_prefetch("specializations"))
            .get(user=user)
        )
    except ProfessionalProfile.DoesNotExist as exc:
        raise Http404 from exc


def professionals_filter(
    queryset: QuerySet[User],
    *,
    specialization: int | str | None = None,
    city: str | None = None,
    search: str | None = None,
) -> QuerySet[User]:
    """Narrow a queryset of professionals (users) by the public directory's criteria.

    ``specialization`` is an id or a slug; ``city`` matches case-insensitively; every word of
    ``search`` must appear in the first or last name, the biography or a specialization name
    (only its first :data:`~psico_core.query.SEARCH_MAX_WORDS` words are read: the API
    refuses longer searches, and each word costs a condition).
    """
    if specialization not in (None, ""):
        value = str(specialization).strip()
        # ASCII digits only: str.isdigit() also accepts "²", which int() refuses. A longer
        # number than an id can be is read as a slug (which finds nothing), not as an id that
        # would overflow the database's integer.
        if value.isascii() and value.isdigit() and len(value) <= DATABASE_ID_MAX_DIGITS:
            queryset = queryset.filter(professional_profile__specializations__pk=int(value))
        else:
            queryset = queryset.filter(professional_profile__specializations__slug=value)
    if city and city.strip():
        queryset = queryset.filter(professional_profile__city__iexact=city.strip())
    for word in (search or "").split()[:SEARCH_MAX_WORDS]:
        # Exists() rather than a join keeps one row per professional without DISTINCT.
        in_specializations = Exists(
            Specialization.objects.filter(professionals__user=OuterRef("pk"), name__icontains=word)
        )
        queryset = queryset.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(professional_profile__bio__icontains=word)
            | in_specializations
        )
    return queryset


def professionals_directory(
    *,
    specialization: int | str | None = None,
    city: str | None = None,
    search: str | None = None,
) -> QuerySet[User]:
    """Professionals anyone may see: active, of type professional, with a public profile.

    Loads each profile and its specializations up front (two queries whatever the size),
    ordered by last name, first name and id so that pages are stable.
    """
    queryset = (
        User.objects.filter(
            user_type=UserType.PROFESSIONAL,
            is_active=True,
            professional_profile__is_public=True,
        )
        .select_related("professional_profile")
        .prefetch_related(_specializations_prefetch("professional_profile__specializations"))
        .order_by("last_name", "first_name", "pk")
    )
    return professionals_filter(queryset, specialization=specialization, city=city, search=search)


def specializations_list() -> QuerySet[Specialization]:
    """All specializations, by name."""
    return Specialization.objects.order_by("name")


def device_tokens_of(*, user: User) -> QuerySet[DeviceToken]:
    """The user's live tokens (signed-in devices), most recently used first."""
    return DeviceToken.objects.filter(
        user=user, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).order_by("-last_used_at", "-pk")


def device_token_of(*, user: User, token_id: int) -> DeviceToken:
    """One live token of ``user``; ``Http404`` for anyone else's, or a revoked or expired one."""
    try:
        return device_tokens_of(user=user).get(pk=token_id)
    except DeviceToken.DoesNotExist as exc:
        raise Http404 from exc


def user_may_book(*, user: User) -> bool:
    """Whether ``user`` may book appointments as far as accounts is concerned: always, unless
    ``PSICO_ACCOUNTS["REQUIRE_VERIFIED_EMAIL_TO_BOOK"]`` asks for a verified email address."""
    return user.email_verified or not accounts_settings.REQUIRE_VERIFIED_EMAIL_TO_BOOK
