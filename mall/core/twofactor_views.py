"""Admin pages of two-factor login: enrolment (QR code, recovery codes) and verification."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import twofactor
from .exceptions import ApplicationError
from .services import (
    two_factor_begin,
    two_factor_confirm,
    two_factor_enrolled,
    two_factor_pending_secret,
    two_factor_verify,
)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Verification code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/admin/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return "/admin/"
    return target


def _context(request, **extra):
    return {**admin.site.each_context(request), "next": _next_url(request), **extra}


@staff_member_required
def two_factor_enrol(request):
    """Show a new secret as a QR code; the first valid code confirms it."""
    if two_factor_enrolled(actor=request.user):
        return HttpResponseRedirect(_next_url(request))
    form = CodeForm(request.POST or None)
    # The pending secret lives only in its encrypted column, never in the session.
    secret = two_factor_pending_secret(actor=request.user) if request.method == "POST" else None
    if request.method == "POST" and secret and form.is_valid():
        try:
            codes = two_factor_confirm(actor=request.user, code=form.cleaned_data["code"])
        except ApplicationError as exc:
            form.add_error("code", exc.message)
        else:
            twofactor.mark_session_verified(request)
            return render(
                request,
                "admin/two_factor_recovery.html",
                _context(request, title=_("Recovery codes"), codes=codes),
            )
    if request.method != "POST" or not secret:
        secret = two_factor_begin(actor=request.user)
    uri = twofactor.provisioning_uri(secret, request.user.get_username(), "Mall")
    return render(
        request,
        "admin/two_factor_enrol.html",
        _context(
            request,
            title=_("Set up two-factor login"),
            form=form,
            qr_svg=twofactor.qr_svg(uri),
            secret=secret,
        ),
    )


@staff_member_required
def two_factor_verify_view(request):
    """Ask for a code from the authenticator (or a recovery code) after the password."""
    if not two_factor_enrolled(actor=request.user):
        return HttpResponseRedirect("/admin/2fa/enrol/")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if two_factor_verify(actor=request.user, code=form.cleaned_data["code"], channel="admin"):
            twofactor.mark_session_verified(request)
            return HttpResponseRedirect(_next_url(request))
        form.add_error("code", _("The verification code is not valid."))
    return render(
        request,
        "admin/two_factor_verify.html",
        _context(request, title=_("Two-factor login"), form=form),
    )
