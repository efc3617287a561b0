"""The admin's language switch (中文/English): saved on the staff profile."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpResponseNotAllowed
from django.views.i18n import set_language

from mall.core.exceptions import ApplicationError

from .services.staff import LANGUAGE_SESSION_KEY, staff_language_set


@staff_member_required
def language_set(request):
    """POST ``language`` (and ``next``): save it for the user, then switch like Django's
    ``set_language`` (cookie, redirect back). The theme's user menu posts here."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    language = request.POST.get("language", "")
    try:
        staff_language_set(actor=request.user, language=language)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        request.session[LANGUAGE_SESSION_KEY] = language
    return set_language(request)
