"""The site served the production way, and loaded from a second process.

gunicorn is started as `make serve` starts it (DEBUG off, newsroom.gunicorn_conf,
static files collected for whitenoise), on a free loopback port, against the
benchmark's database; bench/load.py then loads it from a process of its own.
"""

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379/0"


def production_env(database_url, static_root):
    """The environment of `make serve`, pointed at ``database_url``."""
    env = {
        key: value
        for key, value in os.environ.items()
        # Settings the benchmark process chose for itself, not production's.
        if key not in {"DJANGO_DEBUG", "DATABASE_POOL", "DATABASE_CONN_MAX_AGE", "REDIS_URL"}
    }
    env.update(
        DJANGO_DEBUG="false",
        DATABASE_URL=database_url,
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SITE_URL="http://127.0.0.1",
        DJANGO_SECURE_COOKIES="false",
        DJANGO_STATIC_ROOT=str(static_root),
        DJANGO_SETTINGS_MODULE="newsroom.settings",
    )
    return env


def redis_answers(url=REDIS_URL, timeout=1.0):
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def collectstatic(env):
    subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=BASE_DIR,
        env=env,
        check=True,
    )


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_command(port):
    script = Path(sys.executable).with_name("gunicorn")
    start = [str(script)] if script.exists() else [sys.executable, "-m", "gunicorn"]
    return [*start, "--config", "python:newsroom.gunicorn_conf", "--bind", f"127.0.0.1:{port}"]


@contextlib.contextmanager
def gunicorn(env, log_path, ready_path="/fr/", timeout=60):
    """Serve the site with gunicorn; yields its base URL and stops it afterwards."""
    port = free_port()
    with open(log_path, "wb") as log:
        process = subprocess.Popen(  # noqa: S603 (gunicorn from our own virtualenv)
            gunicorn_command(port), cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(process, base + ready_path, log_path, timeout)
        yield base
    finally:
        process.terminate()  # gunicorn's graceful shutdown
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def log_tail(log_path, lines=20):
    return "\n".join(Path(log_path).read_text(errors="replace").splitlines()[-lines:])


def wait_until_ready(process, url, log_path, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log_tail(log_path)}")
        with (
            contextlib.suppress(OSError, urllib.error.URLError),
            urllib.request.urlopen(url, timeout=5) as response,  # noqa: S310 (loopback)
        ):
            if response.status == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer {url} within {timeout} s:\n{log_tail(log_path)}")


def load(urls, *, duration, clients):
    """Run bench/load.py in a process of its own against ``urls``; its JSON result."""
    completed = subprocess.run(  # noqa: S603 (our own interpreter and module)
        [
            sys.executable,
            "-m",
            "bench.load",
            "--duration",
            str(duration),
            "--clients",
            str(clients),
            *urls,
        ],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
        timeout=duration + 120,
    )
    return json.loads(completed.stdout)


def workers():
    """How many workers newsroom.gunicorn_conf starts on this machine."""
    from newsroom import gunicorn_conf

    return gunicorn_conf.workers
