"""One trusted client IP for throttles, lockout and audit; a forged header changes nothing."""

from __future__ import annotations

import pytest
from django.test import override_settings

from mall.core.context import client_ip_from_meta
from mall.core.throttling import ClientIpScopedRateThrottle


@pytest.mark.parametrize(
    ("proxies", "forwarded", "remote", "expected"),
    [
        (0, "1.2.3.4", "10.0.0.9", "10.0.0.9"),  # no proxy: the header is the client's word
        (1, "1.2.3.4", "10.0.0.9", "1.2.3.4"),  # our proxy saw 1.2.3.4
        (1, "6.6.6.6, 1.2.3.4", "10.0.0.9", "1.2.3.4"),  # a forged entry on the left
        (2, "6.6.6.6, 1.2.3.4, 172.16.0.2", "10.0.0.9", "1.2.3.4"),
        (2, "1.2.3.4", "10.0.0.9", "10.0.0.9"),  # fewer entries than proxies: not via them
        (1, "", "10.0.0.9", "10.0.0.9"),
        (1, "<script>", "10.0.0.9", None),  # never anything but an address
        (0, "", "not-an-ip", None),
        (1, "2001:db8::1", "10.0.0.9", "2001:db8::1"),
    ],
)
def test_the_client_ip_comes_from_the_trusted_end_of_the_chain(
    proxies, forwarded, remote, expected
):
    meta = {"REMOTE_ADDR": remote, "HTTP_X_FORWARDED_FOR": forwarded}
    with override_settings(TRUSTED_PROXY_COUNT=proxies):
        assert client_ip_from_meta(meta) == expected


def test_throttles_key_on_the_same_client_ip(rf):
    request = rf.get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert ClientIpScopedRateThrottle().get_ident(request) == "10.0.0.9"
    with override_settings(TRUSTED_PROXY_COUNT=1):
        forged = rf.get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="6.6.6.6, 1.2.3.4")
        assert ClientIpScopedRateThrottle().get_ident(forged) == "1.2.3.4"


@pytest.mark.django_db
def test_a_forged_forwarded_header_reaches_neither_lockout_nor_audit(api_client, make_staff):
    from ops.models import AuditEntry

    make_staff("clerk")
    for forged in ("1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4", "5.5.5.5", "6.6.6.6"):
        api_client.post(
            "/api/v1/auth/token/",
            {"username": f"u-{forged}", "password": "x"},
            format="json",
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=forged,
        )
    entries = AuditEntry.objects.filter(action="auth.login_failed")
    assert set(entries.values_list("ip", flat=True)) == {"10.0.0.1"}
