# The two commands of the README: `make run` and `make test`; `make serve` for production mode.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run serve test lint check messages bench bench-ops stress backup restore

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed" if sys.version_info < (3, 11) else 0)'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	$(PY) manage.py runserver $(HOST):$(PORT)

# The production way on this machine: DEBUG off, gunicorn, static files served by whitenoise,
# uploaded pictures by Django itself (DJANGO_SERVE_MEDIA; a deployment lets its web server do it).
# Without DATABASE_URL it uses the embedded server, which real deployments are refused;
# plain HTTP on loopback, so cookies are not marked secure unless asked.
SERVE_ENV = DJANGO_DEBUG=false \
	DJANGO_EMBEDDED_DATABASE="$${DJANGO_EMBEDDED_DATABASE:-true}" \
	DJANGO_SECRET_KEY="$${DJANGO_SECRET_KEY:-$$(cat .secret_key)}" \
	DJANGO_ALLOWED_HOSTS="$${DJANGO_ALLOWED_HOSTS:-127.0.0.1,localhost}" \
	DJANGO_SITE_URL="$${DJANGO_SITE_URL:-http://$(HOST):$(PORT)}" \
	DJANGO_SECURE_COOKIES="$${DJANGO_SECURE_COOKIES:-false}" \
	DJANGO_SERVE_MEDIA="$${DJANGO_SERVE_MEDIA:-true}"

serve: install $(if $(DJANGO_SECRET_KEY),,.secret_key)
	$(SERVE_ENV) $(PY) manage.py migrate --noinput
	$(SERVE_ENV) $(PY) manage.py load_demo
	$(SERVE_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	$(SERVE_ENV) exec $(VENV)/bin/gunicorn --config python:newsroom.gunicorn_conf --bind $(HOST):$(PORT)

# make serve's secret key when DJANGO_SECRET_KEY is not set: made once, readable by its owner only.
.secret_key:
	umask 077 && $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@

test: install
	$(PY) -m pytest

# The site against textbook versions of its pages, and under load, on a corpus of SCALE stories
# in its own database (newsroom_bench_SCALE); results in bench/RESULTS.md. See bench/run.py.
SCALE ?= 100000
bench: install
	DJANGO_SETTINGS_MODULE=newsroom.settings $(PY) -m bench.run --scale $(SCALE)

# The costliest tag page before and after a bulk retag of its links (and after moving them
# back), with no manual VACUUM, on the same database as make bench. See bench/operations.py.
bench-ops: install
	DJANGO_SETTINGS_MODULE=newsroom.settings $(PY) -m bench.operations --scale $(SCALE)

# The site under load (CLIENTS readers for SECONDS) while an editor works, PostgreSQL is
# restarted and Redis shut down, on a cluster and a Redis of its own; report in bench/STRESS.md.
CLIENTS ?= 64
SECONDS ?= 60
stress: install
	$(PY) -m bench.stress --clients $(CLIENTS) --seconds $(SECONDS)

# The database and the uploaded media in one archive, checked by a manifest (newsroom/backups.py).
# make backup [BACKUP=file]; make restore BACKUP=file [FORCE=1] (FORCE: into a database that is not empty).
backup: install
	$(PY) manage.py backup $(if $(BACKUP),--output "$(BACKUP)")

restore: install
	@test -n "$(BACKUP)" || { echo "make restore BACKUP=file: which backup to restore" >&2; exit 2; }
	$(PY) manage.py restore "$(BACKUP)" $(if $(filter 1 true yes,$(FORCE)),--force)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

check: install
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

# Needs GNU gettext (apt-get install gettext); the compiled .mo files are committed.
messages: install
	$(PY) manage.py makemessages --locale fr --locale en --ignore '.venv/*'
	$(PY) manage.py compilemessages --ignore '.venv/*'
