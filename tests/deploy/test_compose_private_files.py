"""Export/import job files: written by the heavy-queue worker, served by web — one volume."""

from __future__ import annotations

from tests.deploy.test_compose_file import load_compose


def test_web_and_the_heavy_queue_worker_share_the_private_files_volume():
    services = load_compose()["services"]
    assert "heavy" in services["worker"]["command"]
    for name in ("web", "worker"):
        assert "private:/app/private" in services[name]["volumes"], name
    assert "private" in load_compose()["volumes"]


def test_the_image_creates_the_private_directory_for_its_unprivileged_user():
    from tests.deploy.test_compose_file import ROOT

    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "mkdir -p /app/media /app/private" in dockerfile
    assert "chown -R mall /app/media /app/private" in dockerfile
