"""Staff see the admin in the language saved on their profile (after authentication)."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation

from .services.staff import LANGUAGE_SESSION_KEY

_UNSET = ""


class StaffLanguageMiddleware:
    """Activate the staff member's chosen language; it beats the browser's Accept-Language.

    Sits after ``AuthenticationMiddleware`` (and ``LocaleMiddleware``, whose choice it
    overrides). The profile's language is put into the session at login
    (:func:`remember_staff_language`) and by the language switch
    (``rbac.views.language_set``), so a request reads no extra row; a session from
    before either reads the profile once.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.offered = dict(settings.LANGUAGES)

    def __call__(self, request):
        language = self._language(request)
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)

    def _language(self, request) -> str:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_staff:
            return _UNSET
        session = getattr(request, "session", None)
        if session is not None and LANGUAGE_SESSION_KEY in session:
            language = session[LANGUAGE_SESSION_KEY]
        else:
            language = _profile_language(user)
            if session is not None:
                session[LANGUAGE_SESSION_KEY] = language
        return language if language in self.offered else _UNSET


def _profile_language(user) -> str:
    from .models import StaffProfile

    language = (
        StaffProfile.objects.filter(user_id=user.pk).values_list("language", flat=True).first()
    )
    return language or _UNSET


def remember_staff_language(sender, request, user, **kwargs) -> None:
    """``user_logged_in``: keep the staff member's language in their new session."""
    session = getattr(request, "session", None)
    if session is not None and getattr(user, "is_staff", False):
        session[LANGUAGE_SESSION_KEY] = _profile_language(user)
