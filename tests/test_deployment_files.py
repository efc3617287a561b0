"""docker-compose.yml stays valid: the services, their commands and health checks."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def load_compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_runs_web_workers_beat_postgres_and_redis():
    services = load_compose()["services"]
    assert set(services) == {"web", "worker-realtime", "worker", "beat", "postgres", "redis"}


def test_web_migrates_then_serves_with_gunicorn_and_reports_health():
    web = load_compose()["services"]["web"]
    command = " ".join(web["command"].split())
    assert command.index("manage.py migrate") < command.index("gunicorn mall.wsgi:application")
    assert "/api/health/" in " ".join(web["healthcheck"]["test"])


def test_realtime_queue_has_its_own_worker_and_beat_uses_the_database_scheduler():
    services = load_compose()["services"]
    assert "-Q realtime " in services["worker-realtime"]["command"]
    assert "realtime" not in services["worker"]["command"]
    assert "-Q default,heavy" in services["worker"]["command"]
    assert "DatabaseScheduler" in services["beat"]["command"]


def test_every_app_service_points_at_the_compose_database_and_redis():
    services = load_compose()["services"]
    for name in ("web", "worker-realtime", "worker", "beat"):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://mall:")
        assert env["DATABASE_URL"].endswith("@postgres:5432/mall")
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert env["DJANGO_SECURE"] == "1"
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_data_lives_in_named_volumes_with_health_checks_on_the_services():
    compose = load_compose()
    assert {"pgdata", "redisdata", "media", "backups"} <= set(compose["volumes"])
    for name in ("postgres", "redis", "web"):
        assert compose["services"][name]["healthcheck"]["test"]


def test_the_image_installs_requirements_and_runs_gunicorn():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.11" in dockerfile
    assert "pip install --no-cache-dir -r requirements.txt" in dockerfile
    assert '"gunicorn", "mall.wsgi:application"' in dockerfile
