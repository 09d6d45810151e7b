"""Production serving: gunicorn with the project's config serves pages and, like the
development server, names no server version in its `Server` header."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NEUTRAL = "ehcp-qa"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment(tmp_path: Path, port: int) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("GUNICORN_", "WEB_CONCURRENCY", "FLASK_"))}
    env.update({
        "SECRET_KEY": "serving-test-secret-key-long-enough",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serving.sqlite3'}",
        "EHCP_QA_INSTANCE_PATH": str(tmp_path / "instance"),
        "EHCP_QA_ENV": "production",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "2",
    })
    env.pop("CELERY_BROKER_URL", None)
    return env


@contextmanager
def _serving(command: list[str], env: dict[str, str], port: int) -> Iterator[str]:
    """Start a server process, wait (at most 60 s) until it answers, stop it afterwards."""
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"the server stopped: {process.stdout.read()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("the server did not start within 60 seconds")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _get(url: str) -> tuple[int, dict[str, str], str]:
    with urllib.request.urlopen(url, timeout=30) as response:
        headers = {k.lower(): v for k, v in response.headers.items()}
        return response.status, headers, response.read().decode("utf-8")


def test_gunicorn_serves_pages_with_a_neutral_server_header(tmp_path):
    port = _free_port()
    command = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
               "qa_app.wsgi:app"]
    with _serving(command, _environment(tmp_path, port), port) as base:
        status, headers, body = _get(f"{base}/sign-in")
    assert status == 200
    assert "<h1 class=\"govuk-heading-l\">Sign in</h1>" in body
    assert headers["server"] == NEUTRAL
    assert "gunicorn" not in " ".join(headers.values()).lower()


def test_the_development_server_names_no_version(tmp_path):
    port = _free_port()
    env = _environment(tmp_path, port)
    cli = str(Path(sys.executable).with_name("ehcp-qa"))
    subprocess.run([cli, "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=120)
    with _serving([cli, "run", "--port", str(port)], env, port) as base:
        status, headers, body = _get(f"{base}/sign-in")
    assert status == 200 and "Sign in" in body
    assert headers["server"] == NEUTRAL
    assert "werkzeug" not in headers["server"].lower() and "python" not in headers["server"].lower()


def test_the_config_file_sets_workers_timeouts_and_forwarded_headers():
    settings: dict[str, object] = {}
    exec(compile((ROOT / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), settings)
    assert isinstance(settings["workers"], int) and settings["workers"] >= 1
    assert settings["timeout"] == 120 and settings["graceful_timeout"] == 30
    assert settings["forwarded_allow_ips"] == "127.0.0.1,::1"
    assert settings["secure_scheme_headers"] == {"X-FORWARDED-PROTO": "https"}
