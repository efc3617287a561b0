"""Steps shared by browser tests."""

from __future__ import annotations


def admin_login(page, base_url: str, username: str, password: str) -> None:
    """Log into the Django admin through its login form and wait for the index."""
    page.goto(f"{base_url}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base_url}/admin/")
