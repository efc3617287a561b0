"""Health check of the web container: GET /api/health/ the way the proxy sends it.

With the production settings (``DJANGO_SECURE=1``) a bare request to
``http://127.0.0.1:8000/api/health/`` can never pass: Django answers 400 because
``127.0.0.1`` is not in ``DJANGO_ALLOWED_HOSTS``, and with an allowed host it answers
301 to ``https://…`` (``SECURE_SSL_REDIRECT``), which gunicorn does not speak. So this
sends what nginx sends: ``Host`` set to the first allowed host and
``X-Forwarded-Proto: https``, follows no redirect, and exits 0 only on a 200.

Standard library only (the check runs every 30 s; no Django start-up).
Usage: ``python deploy/healthcheck.py [URL]``.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

DEFAULT_URL = "http://127.0.0.1:8000/api/health/"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a redirect is an answer to report, not to follow


def proxy_host(allowed_hosts: str) -> str | None:
    """Return the Host header the proxy would send: the first concrete allowed host."""
    for host in (item.strip() for item in allowed_hosts.split(",")):
        if host and host != "*":
            return host.lstrip(".")  # ".example.com" allows "example.com" too
    return None


def main(argv: list[str]) -> int:
    url = argv[1] if len(argv) > 1 else DEFAULT_URL
    if not url.startswith(("http://", "https://")):
        print(f"not an http(s) URL: {url}", file=sys.stderr)
        return 2
    headers = {"X-Forwarded-Proto": "https"}
    host = proxy_host(os.environ.get("DJANGO_ALLOWED_HOSTS", ""))
    if host:
        headers["Host"] = host
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - scheme checked above
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=8) as response:  # compose allows 10 s
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (urllib.error.URLError, OSError) as exc:
        print(f"unreachable: {exc}", file=sys.stderr)
        return 1
    print(status)
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
