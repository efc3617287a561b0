"""The health checks in docker-compose.yml pass against servers run with the production settings.

There is no Docker engine on the test machines, so each check is run here the way the
container runs it: the web service's own command (gunicorn with deploy/gunicorn.conf.py)
started with ``DJANGO_SECURE=1`` and a production-like environment on a free local
port, then the web health check command from the compose file with only the port
changed. With services at hand (``REDIS_URL``, ``DATABASE_URL``) the worker check
pings a worker started with the worker service's command, and the PostgreSQL and
Redis checks run against the local servers.
"""

from __future__ import annotations

import base64
import os
import secrets
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_PORT = "127.0.0.1:8000"


def compose_services() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_environment(tmp_path: Path) -> dict[str, str]:
    """Return the environment `check --deploy` is clean with (as in .ci/run)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST_", "PROMETHEUS_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="mall.settings",
        DJANGO_SECURE="1",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(48),
        DJANGO_ALLOWED_HOSTS="mall.example.com",
        DJANGO_CSRF_TRUSTED_ORIGINS="https://mall.example.com",
        PII_ENCRYPTION_KEYS="t1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        PII_LOOKUP_KEY=base64.b64encode(secrets.token_bytes(32)).decode(),
        # The health check asks the database for SELECT 1 only: a fresh SQLite file does.
        DATABASE_URL=f"sqlite:///{tmp_path / 'health.sqlite3'}",
        METRICS_REDIS_KEY=f"mall:test-metrics:deploy-{os.getpid()}",
        LOG_FORMAT="json",
        MEDIA_ROOT=str(tmp_path / "media"),
    )
    env.pop("MALL_DEMO", None)
    return env


def as_local_command(test: list[str] | str, port: int) -> list[str]:
    """Translate a compose ``healthcheck.test`` into a command for this machine."""
    assert test[0] in ("CMD", "CMD-SHELL"), test
    if test[0] == "CMD-SHELL":
        return ["sh", "-c", test[1].replace("$$", "$")]
    command = [part.replace(COMPOSE_PORT, f"127.0.0.1:{port}") for part in test[1:]]
    if command[0] == "python":
        command[0] = sys.executable
    return command


def wait_for_http(port: int, process: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    """Wait until the server answers HTTP at all (Docker's ``start_period``)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited early:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
                return
        except urllib.error.HTTPError:
            return  # any HTTP answer: the app is loaded
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"server did not answer in {seconds}s:\n{log.read_text()[-4000:]}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@pytest.fixture(scope="module")
def web_server(tmp_path_factory):
    """The web service's command, with the production settings, on a free port."""
    tmp_path = tmp_path_factory.mktemp("web")
    port = free_port()
    env = production_environment(tmp_path)
    env.update(
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS="2",
        # Recycle often so the test sees counters survive a recycled worker.
        GUNICORN_MAX_REQUESTS="4",
        GUNICORN_MAX_REQUESTS_JITTER="0",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "prometheus"),
        METRICS_TOKEN="scrape-" + secrets.token_hex(8),
    )
    command = shlex.split(compose_services()["web"]["command"])
    assert command[0] == "gunicorn"
    command = [sys.executable, "-m", "gunicorn", *command[1:]]
    log = tmp_path / "gunicorn.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        wait_for_http(port, process, log)
        yield {"port": port, "env": env, "log": log, "process": process}
    finally:
        stop(process)


def run_health_check(service: str, port: int, env: dict[str, str]) -> subprocess.CompletedProcess:
    test = compose_services()[service]["healthcheck"]["test"]
    return subprocess.run(
        as_local_command(test, port),
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_the_web_health_check_passes_against_gunicorn_with_the_production_settings(web_server):
    result = run_health_check("web", web_server["port"], web_server["env"])

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "200"


def test_a_bare_request_to_the_container_address_is_refused_by_the_production_settings(
    web_server,
):
    # Why the compose check sends the proxy's headers: without them Django refuses the
    # Host header (400), and with an allowed host redirects to HTTPS (301).
    def status(headers: dict[str, str]) -> int:
        request = urllib.request.Request(
            f"http://127.0.0.1:{web_server['port']}/api/health/", headers=headers
        )
        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    assert status({}) == 400
    assert status({"Host": "mall.example.com"}) == 301
    assert status({"Host": "mall.example.com", "X-Forwarded-Proto": "https"}) == 200


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_metrics_are_summed_over_recycled_workers_and_served_only_with_the_token(web_server):
    port, token = web_server["port"], web_server["env"]["METRICS_TOKEN"]
    for _ in range(20):  # each worker recycles after 4: at least 5 recycles
        result = run_health_check("web", port, web_server["env"])
        assert result.returncode == 0, result.stdout + result.stderr

    def scrape(headers: dict[str, str]) -> tuple[int, str]:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, ""

    assert scrape({})[0] == 403, web_server["log"].read_text()[-3000:]
    assert scrape({"Authorization": "Bearer wrong"})[0] == 403
    status, body = scrape({"Authorization": f"Bearer {token}"})
    assert status == 200
    line = next(
        ln
        for ln in body.splitlines()
        if ln.startswith('mall_http_requests_total{method="GET",status="2xx",view="health"}')
    )
    # 20 here and the ones the other tests made: none lost to the recycled workers.
    assert float(line.rsplit(" ", 1)[1]) >= 20
    assert 'mall_http_request_db_queries_bucket{le="1.0",view="health"}' in body
    # Recycled workers' files are folded into one archive: the archive, the two live
    # workers, at most two just-exited ones — not one file per worker that ever ran (7+).
    directory = Path(web_server["env"]["PROMETHEUS_MULTIPROC_DIR"])
    names = sorted(path.name for path in directory.iterdir())
    assert "counter_archive.db" in names
    assert len([name for name in names if name.startswith("counter_")]) <= 5, names


def test_gunicorn_writes_a_json_access_line_with_the_request_id(web_server):
    request = urllib.request.Request(
        f"http://127.0.0.1:{web_server['port']}/api/health/",
        headers={"Host": "mall.example.com", "X-Forwarded-Proto": "https"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        request_id = response.headers["X-Request-ID"]

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and request_id not in web_server["log"].read_text():
        time.sleep(0.1)
    import json

    lines = [
        json.loads(line)
        for line in web_server["log"].read_text().splitlines()
        if line.startswith("{") and request_id in line
    ]
    assert lines, web_server["log"].read_text()[-2000:]
    assert lines[0]["logger"] == "gunicorn.access"
    assert (lines[0]["path"], lines[0]["status"]) == ("/api/health/", 200)


def test_each_worker_health_check_pings_the_name_its_worker_runs_under():
    services = compose_services()
    for name in ("worker-realtime", "worker"):
        command = services[name]["command"]
        node = command.split(" -n ", 1)[1].split()[0]
        assert node.endswith("@%h")
        check = services[name]["healthcheck"]["test"]
        assert check[0] == "CMD-SHELL"
        assert f"inspect ping -d {node.replace('%h', '$$HOSTNAME')} " in check[1]


@pytest.mark.integration
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (a real broker)")
def test_the_worker_health_check_passes_against_a_worker_with_the_production_settings(
    tmp_path,
):
    env = production_environment(tmp_path)
    env["HOSTNAME"] = socket.gethostname()  # what Docker sets; %h in the worker's name
    command = shlex.split(compose_services()["worker-realtime"]["command"])
    assert command[0] == "celery"
    # Same command; one process and no gossip keep the test quick on a shared machine.
    command = [sys.executable, "-m", *command, "--pool=solo", "--without-gossip"]
    command[command.index("--concurrency") + 1] = "1"
    log = tmp_path / "worker.log"
    with log.open("w") as output:
        worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)
    try:
        check = compose_services()["worker-realtime"]["healthcheck"]["test"]
        local = as_local_command(check, 0)
        local[2] = local[2].replace("celery ", f"{shlex.quote(sys.executable)} -m celery ", 1)
        deadline = time.monotonic() + 25
        result = None
        while time.monotonic() < deadline:
            result = subprocess.run(
                local, cwd=ROOT, env=env, capture_output=True, text=True, timeout=30, check=False
            )
            if result.returncode == 0 or worker.poll() is not None:
                break
            time.sleep(1)
        assert result is not None
        assert result.returncode == 0, result.stdout + result.stderr + log.read_text()[-3000:]
        assert "pong" in result.stdout
    finally:
        stop(worker)


@pytest.mark.integration
@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres") or not shutil.which("pg_isready"),
    reason="needs a PostgreSQL server (DATABASE_URL) and pg_isready",
)
def test_the_postgres_health_check_command_answers_against_a_running_server():
    url = urlparse(os.environ["DATABASE_URL"])
    check = compose_services()["postgres"]["healthcheck"]["test"]
    command = as_local_command(check, 0)
    command[2] += f" -h {url.hostname or '127.0.0.1'} -p {url.port or 5432}"
    result = subprocess.run(command, capture_output=True, text=True, timeout=20, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.integration
@pytest.mark.skipif(
    not os.environ.get("REDIS_URL") or not shutil.which("redis-cli"),
    reason="needs a Redis server (REDIS_URL) and redis-cli",
)
def test_the_redis_health_check_command_answers_against_a_running_server():
    url = urlparse(os.environ["REDIS_URL"])
    check = compose_services()["redis"]["healthcheck"]["test"]
    command = [*as_local_command(check, 0)]
    command[1:1] = ["-h", url.hostname or "127.0.0.1", "-p", str(url.port or 6379)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=20, check=False)
    assert (result.returncode, result.stdout.strip()) == (0, "PONG")
