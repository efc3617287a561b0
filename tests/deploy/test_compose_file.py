"""docker-compose.yml, the Dockerfile and nginx.conf describe the stack docs/DEPLOY.md promises."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("web", "worker-realtime", "worker", "beat")


def load_compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_runs_proxy_migrate_web_workers_beat_postgres_and_redis():
    services = load_compose()["services"]
    assert set(services) == {
        "nginx",
        "migrate",
        "web",
        "worker-realtime",
        "worker",
        "beat",
        "postgres",
        "redis",
    }


def test_a_one_off_migrate_service_runs_first_and_every_app_service_waits_for_it():
    services = load_compose()["services"]
    migrate = services["migrate"]
    command = " ".join(migrate["command"].split())
    assert command.index("manage.py migrate") < command.index("manage.py sync_schedule")
    assert "manage.py collectstatic" in command
    assert migrate["restart"] == "no"
    assert "migrate" not in migrate["depends_on"]
    for name in APP_SERVICES:
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
        assert "migrate" not in services[name].get("command", "")


def test_one_image_is_built_once_and_shared_by_every_app_service():
    services = load_compose()["services"]
    built = [name for name, service in services.items() if "build" in service]
    assert built == ["migrate"]
    image = services["migrate"]["image"]
    for name in APP_SERVICES:
        assert services[name]["image"] == image
        assert services[name]["pull_policy"] == "never"


def test_every_base_image_is_pinned_to_a_patch_release():
    services = load_compose()["services"]
    # PostgreSQL numbers its patch releases major.minor (15.10); the others x.y.z.
    patterns = {"nginx": r"\d+\.\d+\.\d+", "postgres": r"\d+\.\d+", "redis": r"\d+\.\d+\.\d+"}
    for name, version in patterns.items():
        tag = services[name]["image"].split(":", 1)[1]
        assert re.match(rf"^{version}(-[a-z]+)?$", tag), services[name]["image"]
    base = re.search(r"^FROM (\S+)$", (ROOT / "Dockerfile").read_text(), re.M).group(1)
    assert re.match(r"^python:3\.11\.\d+-slim-\w+$", base), base


def test_web_serves_with_gunicorn_behind_nginx_only():
    services = load_compose()["services"]
    web = services["web"]
    assert web["command"] == "gunicorn -c deploy/gunicorn.conf.py mall.wsgi:application"
    assert "ports" not in web
    assert services["nginx"]["ports"] == ["80:80", "443:443"]
    assert services["nginx"]["depends_on"]["web"]["condition"] == "service_healthy"


def test_realtime_queue_has_its_own_worker_and_beat_uses_the_database_scheduler():
    services = load_compose()["services"]
    assert "-Q realtime " in services["worker-realtime"]["command"]
    assert "realtime" not in services["worker"]["command"]
    assert "-Q default,heavy" in services["worker"]["command"]
    assert "DatabaseScheduler" in services["beat"]["command"]


def test_every_app_service_points_at_the_compose_database_and_redis_in_production_mode():
    services = load_compose()["services"]
    for name in ("migrate", *APP_SERVICES):
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://mall:")
        assert env["DATABASE_URL"].endswith("@postgres:5432/mall")
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert env["DJANGO_SECURE"] == "1"
        assert env["LOG_FORMAT"] == "json"
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["web"]["environment"]["PROMETHEUS_MULTIPROC_DIR"]


def test_data_lives_in_named_volumes_and_nginx_reads_static_and_media():
    compose = load_compose()
    assert {"pgdata", "redisdata", "media", "backups", "static"} <= set(compose["volumes"])
    nginx_volumes = compose["services"]["nginx"]["volumes"]
    assert "static:/srv/static:ro" in nginx_volumes
    assert "media:/srv/media:ro" in nginx_volumes
    assert "static:/app/staticfiles" in compose["services"]["migrate"]["volumes"]
    for name in ("nginx", "web", "worker-realtime", "worker", "postgres", "redis"):
        assert compose["services"][name]["healthcheck"]["test"]


def test_nginx_terminates_tls_serves_files_and_sets_the_headers_django_trusts():
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "listen 443 ssl" in conf
    assert "ssl_certificate     /etc/nginx/certs/fullchain.pem;" in conf
    assert "return 301 https://$host$request_uri;" in conf
    assert "alias /srv/static/;" in conf
    assert "alias /srv/media/;" in conf
    assert "proxy_set_header X-Forwarded-Proto https;" in conf
    # Replaced, not appended to: the first address is the one Django's lockout uses.
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in conf
    assert "location = /metrics { return 404; }" in conf
    assert "location ^~ /media/catalog/imports/ { return 404; }" in conf


def test_gunicorn_logs_access_to_stdout_and_recycles_workers():
    conf = (ROOT / "deploy" / "gunicorn.conf.py").read_text()
    assert 'accesslog = "-"' in conf
    assert "max_requests = " in conf
    assert "max_requests_jitter = " in conf


def test_the_image_installs_the_locked_requirements_with_hashes_and_runs_gunicorn():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --no-cache-dir --require-hashes -r requirements.lock" in dockerfile
    assert '"gunicorn", "-c", "deploy/gunicorn.conf.py", "mall.wsgi:application"' in dockerfile
    assert "/app/staticfiles" in dockerfile.split("USER mall")[0].split("chown")[-1]


def test_web_trusts_exactly_the_one_proxy_that_replaces_x_forwarded_for():
    web = load_compose()["services"]["web"]
    assert web["environment"]["TRUSTED_PROXY_COUNT"] == "1"
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    # nginx writes the address it saw (not appending the client's header), so the one
    # entry the app reads is never the client's own word.
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in nginx
