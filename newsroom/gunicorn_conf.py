"""gunicorn's settings for `make serve`: `gunicorn --config python:newsroom.gunicorn_conf`.

Anything here can be overridden on the command line or in GUNICORN_CMD_ARGS.
"""

import os


def cpu_count():
    try:
        # The CPUs this process may run on, which a container or taskset can limit.
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        return os.cpu_count() or 1


wsgi_app = "newsroom.wsgi:application"
bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"

# gunicorn's rule of thumb for synchronous workers: two per core, plus one.
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * cpu_count() + 1)

# Each worker imports the settings itself (no preload), so each opens its own
# database pool after the fork and registers itself with the embedded server.
preload_app = False

# Restart a worker after about a thousand requests, so a slow leak cannot grow for ever.
max_requests = 1000
max_requests_jitter = 100

# Each request is logged once, as JSON, by newsroom.request_log (with its request id).
accesslog = None
errorlog = "-"

# gunicorn's runtime control socket sits at one path per user ($HOME/.gunicorn/gunicorn.ctl):
# two servers on one machine (make serve beside its test) would take it from each other.
control_socket_disable = True
