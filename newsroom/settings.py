"""Settings for the newsroom project, read from the environment.

Every variable is listed in .env.example. The defaults are for development;
with DJANGO_DEBUG off the project refuses to start without a secret key,
allowed hosts and a DATABASE_URL (or DJANGO_EMBEDDED_DATABASE, which `make serve`
sets to try production mode on a developer's machine).
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name, default):
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


DEBUG = env_bool("DJANGO_DEBUG", True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set when DJANGO_DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")


def site_url(value):
    """The public address, "https://news.example.org": scheme and host, no path."""
    from urllib.parse import urlsplit

    from django.http.request import split_domain_port, validate_host

    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise ImproperlyConfigured(
            f"DJANGO_SITE_URL must be a scheme and a host, like https://news.example.org, "
            f"not {value!r}."
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ImproperlyConfigured(f"DJANGO_SITE_URL must have no query or login: {value!r}.")
    host, _port = split_domain_port(parts.netloc)
    if not validate_host(host, ALLOWED_HOSTS):
        raise ImproperlyConfigured(
            f"DJANGO_SITE_URL's host {host!r} is not in DJANGO_ALLOWED_HOSTS."
        )
    return f"{parts.scheme}://{parts.netloc}"


# The site's public address. Canonical and hreflang links and the page cache's keys
# are made from it, never from the Host a client sends (which would let anyone fill the
# cache, or put their own host into cached pages). Development may leave it empty.
SITE_URL = os.environ.get("DJANGO_SITE_URL", "").strip()
if SITE_URL:
    SITE_URL = site_url(SITE_URL)
elif not DEBUG:
    raise ImproperlyConfigured(
        "DJANGO_SITE_URL (the public address, like https://news.example.org) must be set "
        "when DJANGO_DEBUG is off."
    )

INSTALLED_APPS = [
    # modeltranslation must come before the admin to patch its forms.
    "modeltranslation",
    # Django's admin, with the newsroom's site (newsroom/admin.py).
    "newsroom.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles: runserver serves static files through whitenoise too, as
    # make serve does, instead of Django's development view.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    # Its templates (the sitemap index, articles/sitemaps.py) and X-Robots-Tag decorator.
    "django.contrib.sitemaps",
    "taggit",
    "django_prose_editor",
    # Stories' revisions (articles/revisions.py).
    "reversion",
    # Only for its system checks of the CONTENT_SECURITY_POLICY settings.
    "csp",
    # Failed staff sign-ins and lockouts (articles/lockouts.py), named for the admin.
    "newsroom.apps.AxesConfig",
    "articles",
]

MIDDLEWARE = [
    # First: /healthz for load balancers, whatever the Host header (newsroom/health.py).
    # Not logged: a probe every second would drown the requests.
    "newsroom.health.HealthCheckMiddleware",
    # A request id and one log line per request (newsroom/request_log.py).
    "newsroom.request_log.RequestLogMiddleware",
    # Then the security headers, so that every answer carries them: the edge's 400s, static
    # files and the page cache's pages too (see "Security headers" in the README).
    "django.middleware.security.SecurityMiddleware",
    "newsroom.security.ContentSecurityPolicyMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Then a request no page can answer (NUL characters, too many parameters) stops here.
    "newsroom.middleware.RequestEdgeMiddleware",
    # Serves collected static files from the application, before any middleware that
    # reads the session or the database (see "Serving in production" in the README).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Django's locale and common middleware, made safe against "/EN/" and slash-less forms.
    "newsroom.middleware.LocaleMiddleware",
    "newsroom.middleware.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # ETag on every page, and 304 for a client that has it (cached pages included).
    "django.middleware.http.ConditionalGetMiddleware",
    # Last but one, so that a cached page skips only the view; see articles/cache.py.
    "articles.cache.PageCacheMiddleware",
    # Inside the page cache, which keeps its result: cached pages pay nothing for it.
    "articles.typography.FrenchTypographyMiddleware",
    # Last, as django-axes asks: it turns a sign-in refused by the lockout into the lockout
    # page, which then goes out through every middleware above like any admin page (session,
    # CSRF, frame and security headers). The page cache never sees it (a POST), and French
    # typography leaves the admin alone.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "newsroom.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "newsroom.wsgi.application"
ASGI_APPLICATION = "newsroom.asgi.application"

if os.environ.get("DATABASE_URL"):
    DATABASE_URL = os.environ["DATABASE_URL"]
elif not DEBUG and not env_bool("DJANGO_EMBEDDED_DATABASE", False):
    raise ImproperlyConfigured("DATABASE_URL must be set when DJANGO_DEBUG is off.")
else:
    from newsroom.embedded_postgres import database_url

    DATABASE_URL = database_url(
        Path(os.environ.get("DJANGO_EMBEDDED_DATA_DIR") or BASE_DIR / ".pgdata")
    )

# psycopg's connection pool: each worker process keeps a few connections open and
# lends them to requests. Off, connections persist for DATABASE_CONN_MAX_AGE seconds.
DATABASE_POOL = env_bool("DATABASE_POOL", not DEBUG)
DATABASE_POOL_OPTIONS = {
    "min_size": 1,
    "max_size": env_int("DATABASE_POOL_MAX_SIZE", 4),
    # Seconds a request waits for a connection before failing (503, newsroom/errors.py).
    # A synchronous worker uses one at a time, so the wait is for a database that is
    # away: short, so that workers answer "unavailable" and serve cached pages meanwhile.
    "timeout": env_int("DATABASE_POOL_TIMEOUT", 2),
}
DATABASE_CONN_MAX_AGE = env_int("DATABASE_CONN_MAX_AGE", 0 if DEBUG else 60)


def database_settings(url, variable):
    database = dj_database_url.parse(url)
    if not database["ENGINE"].endswith("postgresql"):
        raise ImproperlyConfigured(f"{variable} must point at PostgreSQL (postgres://...).")
    # A connection dropped by a server restart is replaced instead of failing a request.
    database["CONN_HEALTH_CHECKS"] = True
    if DATABASE_POOL:
        database["CONN_MAX_AGE"] = 0  # Django refuses persistent connections with a pool.
        database.setdefault("OPTIONS", {})["pool"] = dict(DATABASE_POOL_OPTIONS)
    else:
        database["CONN_MAX_AGE"] = DATABASE_CONN_MAX_AGE
    return database


DATABASES = {"default": database_settings(DATABASE_URL, "DATABASE_URL")}

# A read replica takes the public pages' reads; writes, the admin and staff stay on the
# primary (newsroom.db_routers). The test suite reads the primary through this alias.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = database_settings(DATABASE_REPLICA_URL, "DATABASE_REPLICA_URL")
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["newsroom.db_routers.PrimaryReplicaRouter"]
    MIDDLEWARE.insert(
        MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1,
        "newsroom.db_routers.PrimaryPinningMiddleware",
    )

# Django's own Redis backend (redis-py, hiredis parser) when REDIS_URL is set; shared by
# every worker process. Without it each process has its own memory cache.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "newsroom",
            # A stalled Redis fails a cache call within a second instead of hanging the worker.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            # Room for the page cache's pages and versions (Django's default is 300 entries).
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }

# Seconds a public page stays in the page cache (articles.cache); 0 turns that cache off.
# Without Redis each worker process has its own cache, and a change made through one
# process reaches the others' cached pages only when they expire: keep that short.
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 600 if REDIS_URL else 10)
# How often (seconds) each process looks in the database for changes that another one
# kept there while Redis was out of reach (articles.cache): the longest a process that
# saw nothing of an outage may serve a page of before it once Redis is back.
PAGE_CACHE_CHECK_SECONDS = env_int("PAGE_CACHE_CHECK_SECONDS", 1)
# A page is not cached for this many seconds after something it shows changed: a
# replica may not have replayed the change yet, and the page would keep the old text.
PAGE_CACHE_REPLICA_LAG = env_int("PAGE_CACHE_REPLICA_LAG", 2 if DATABASE_REPLICA_URL else 0)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Django's checks on every password set in the admin (new accounts, changes). Twelve
# characters at least: staff sign in with a password alone (OWASP asks 15 without a second
# factor, 8 with one; twelve is Django's 8 made sturdier while a second factor is missing).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# French is the newsroom's source language; English is the translation.
LANGUAGE_CODE = "fr"
LANGUAGES = [
    ("fr", _("French")),
    ("en", _("English")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "Europe/Paris")
USE_TZ = True

MODELTRANSLATION_DEFAULT_LANGUAGE = "fr"
# The tabbed story admin needs jQuery UI; modeltranslation would load it from a CDN.
# static/vendor/jquery-ui/ is jQuery UI 1.14.2 from npm, MIT licence.
JQUERY_UI_URL = "vendor/jquery-ui/jquery-ui.min.js"

# Tag names are matched without regard to case: "russie" is the tag "Russie".
TAGGIT_CASE_INSENSITIVE = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
# In development whitenoise looks files up as they are asked for instead of indexing
# STATIC_ROOT at start-up, which only exists after collectstatic. Read from this file's
# DEBUG, which the test runner does not turn off the way it turns off settings.DEBUG.
WHITENOISE_AUTOREFRESH = DEBUG
# Uploaded pictures and their renditions (articles/images.py), through the "default"
# storage: a folder (MEDIA_ROOT) by default, an S3-compatible bucket with
# DJANGO_STORAGE_BACKEND=s3 (django-storages, read from the AWS_* variables; see the README).
MEDIA_URL = os.environ.get("DJANGO_MEDIA_URL", "/media/")
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT") or BASE_DIR / "media")
# Django serves MEDIA_URL from MEDIA_ROOT itself (newsroom/urls.py): always under runserver,
# and with DJANGO_SERVE_MEDIA (make serve). A real deployment lets its web server or the
# bucket serve them; whitenoise serves static files only.
SERVE_MEDIA = env_bool("DJANGO_SERVE_MEDIA", DEBUG)
STORAGE_BACKEND = os.environ.get("DJANGO_STORAGE_BACKEND", "filesystem").strip().lower()
if STORAGE_BACKEND == "filesystem":
    DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
elif STORAGE_BACKEND == "s3":
    DEFAULT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ.get("AWS_STORAGE_BUCKET_NAME", ""),
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "access_key": os.environ.get("AWS_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("AWS_SECRET_ACCESS_KEY") or None,
            # Public pictures: plain addresses that pages and caches can keep, not signed ones
            # that expire.
            "querystring_auth": env_bool("AWS_QUERYSTRING_AUTH", False),
            "custom_domain": os.environ.get("AWS_S3_CUSTOM_DOMAIN") or None,
            "location": os.environ.get("AWS_LOCATION", ""),
            "file_overwrite": False,
            # Renditions never change under their name (a new upload gets new names).
            "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},
        },
    }
    if not DEFAULT_STORAGE["OPTIONS"]["bucket_name"]:
        raise ImproperlyConfigured(
            "AWS_STORAGE_BUCKET_NAME must be set when DJANGO_STORAGE_BACKEND is s3."
        )
    SERVE_MEDIA = False
else:
    raise ImproperlyConfigured(
        f"DJANGO_STORAGE_BACKEND must be filesystem or s3, not {STORAGE_BACKEND!r}."
    )
STORAGES = {
    "default": DEFAULT_STORAGE,
    # collectstatic writes content-hashed, compressed copies that whitenoise serves with
    # far-future cache headers. Debug (runserver, tests) keeps plain names: no manifest needed.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# The largest picture a journalist may upload, in bytes and in pixels (width × height):
# beyond 40 million pixels a picture takes hundreds of megabytes to decode.
IMAGES_MAX_UPLOAD_BYTES = env_int("DJANGO_IMAGES_MAX_UPLOAD_BYTES", 20_000_000)
IMAGES_MAX_PIXELS = env_int("DJANGO_IMAGES_MAX_PIXELS", 40_000_000)

LOGIN_URL = "admin:login"

# Security headers (newsroom/security.py; "Security headers" in the README).
# Django's defaults, stated because the tests hold the site to them.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Links to other sites tell them the newsroom's address, never the page's path and query.
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
# Powerful browser features no page of the site uses, refused to it and to what it embeds.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "serial",
        "usb",
    )
}


def content_security_policy(**directives):
    policy = {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # The storage's origin is added when pictures come from elsewhere (a bucket).
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        **directives,
    }
    if CONTENT_SECURITY_POLICY_REPORT_URI:
        policy["report-uri"] = [CONTENT_SECURITY_POLICY_REPORT_URI]
    return {"DIRECTIVES": policy}


# Where browsers send a report of what the policy blocked (empty: nowhere).
CONTENT_SECURITY_POLICY_REPORT_URI = os.environ.get("DJANGO_CSP_REPORT_URI", "").strip()
# Public pages: no inline script, no inline style, no nonce (cached pages are shared).
PUBLIC_CONTENT_SECURITY_POLICY = content_security_policy()
# The admin: the request's nonce for django-prose-editor's inline import map, and inline
# styles for the <style> element its editor (Tiptap) inserts. Never cached, so a nonce is safe.
ADMIN_CONTENT_SECURITY_POLICY = content_security_policy(
    **{"script-src": [SELF, NONCE], "style-src": [SELF, UNSAFE_INLINE]}
)
# "true": browsers only report what the policies would block (to roll them out), no blocking.
if env_bool("DJANGO_CSP_REPORT_ONLY", False):
    CONTENT_SECURITY_POLICY_REPORT_ONLY = PUBLIC_CONTENT_SECURITY_POLICY
else:
    CONTENT_SECURITY_POLICY = PUBLIC_CONTENT_SECURITY_POLICY

# Staff sign-in (articles/lockouts.py). django-axes checks each attempt first, so that a
# locked-out account or address is refused before its password is even tried.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# After this many failed sign-ins within the cool-off, counted for each username (whatever
# the address: one account attacked from many machines) and for each address (whatever
# the username: one machine trying many accounts), that username or address is locked.
AXES_FAILURE_LIMIT = env_int("DJANGO_AXES_FAILURE_LIMIT", 5)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# Minutes a lock lasts after the last failed attempt; one made meanwhile starts it over.
AXES_COOLOFF_MINUTES = env_int("DJANGO_AXES_COOLOFF_MINUTES", 15)
if AXES_FAILURE_LIMIT < 1 or AXES_COOLOFF_MINUTES < 1:
    raise ImproperlyConfigured(
        "DJANGO_AXES_FAILURE_LIMIT and DJANGO_AXES_COOLOFF_MINUTES must be at least 1."
    )
AXES_COOLOFF_TIME = timedelta(minutes=AXES_COOLOFF_MINUTES)
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = True
# A successful sign-in forgets that person's own failures from that address only
# (articles.lockouts): axes' own reset would also forget every other username's failures
# from the address, so one valid account would let a machine try others without end.
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "articles.lockouts.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
AXES_CLIENT_IP_CALLABLE = "articles.lockouts.client_address"
# Attempts are kept in the database (every worker sees the same counts) and listed in the
# admin, where deleting them unlocks; sign-ins are logged there too.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
# No startup banner in every worker's log.
AXES_VERBOSE = False

# Staff sessions last a working day, then the admin asks to sign in again.
SESSION_COOKIE_AGE = env_int("DJANGO_SESSION_COOKIE_AGE", 8 * 60 * 60)
if SESSION_COOKIE_AGE < 60:
    raise ImproperlyConfigured("DJANGO_SESSION_COOKIE_AGE must be at least 60 seconds.")
# Closing the browser (a shared newsroom computer) ends the session too.
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("DJANGO_SESSION_EXPIRE_AT_BROWSER_CLOSE", True)
# Django's default, said here: scripts never read the session cookie.
SESSION_COOKIE_HTTPONLY = True

ARTICLES_PER_PAGE = int(os.environ.get("ARTICLES_PER_PAGE", "20"))
# A page of stories with all of several tags reads at most this many stories of the rarest
# one, then says how far it looked and offers to look further (TaggedArticle.story_keys).
TAG_COMBINATION_READ = int(os.environ.get("TAG_COMBINATION_READ", "1000"))
# How many "narrow down" links a tag page offers (Tag.frequent_companions).
TAG_COMPANIONS = 8
# Feeds carry each story's standfirst; true: its whole text (articles/feeds.py).
FEEDS_FULL_TEXT = env_bool("DJANGO_FEEDS_FULL_TEXT", False)
# The newsroom's account on X/Twitter ("@newsroom"), named in its pages' cards; empty: none.
TWITTER_SITE = os.environ.get("DJANGO_TWITTER_SITE", "").strip()

# URLs in one sitemap file (articles/sitemaps.py): at most the protocol's 50,000. Smaller
# files are each made within the public pages' 100 ms (a full one is 29 MB and a second).
SITEMAP_URLS_PER_FILE = env_int("DJANGO_SITEMAP_URLS_PER_FILE", 2_000)
if not len(LANGUAGES) <= SITEMAP_URLS_PER_FILE <= 50_000:
    raise ImproperlyConfigured(
        f"DJANGO_SITEMAP_URLS_PER_FILE must be between {len(LANGUAGES)} and 50000."
    )
# Seconds crawlers and proxies may keep a sitemap or robots.txt (they are streamed, so the
# page cache does not keep them): a publication shows in them this long afterwards at most.
SITEMAP_CACHE_SECONDS = env_int("DJANGO_SITEMAP_CACHE_SECONDS", 300)

# Behind a proxy that terminates TLS and sets X-Forwarded-Proto: only then may Django trust
# that header (a client could send it to a server reached directly).
BEHIND_TLS_PROXY = env_bool("DJANGO_BEHIND_TLS_PROXY", False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Proxies in front of Django that each append the address they saw to X-Forwarded-For: the
# client's is the one the outermost of them wrote, read from the right (articles.lockouts).
# Without a proxy the address is the connection's own; anything a client sends is ignored.
TRUSTED_PROXY_COUNT = env_int("DJANGO_PROXY_COUNT", 1) if BEHIND_TLS_PROXY else 0
if BEHIND_TLS_PROXY and TRUSTED_PROXY_COUNT < 1:
    raise ImproperlyConfigured("DJANGO_PROXY_COUNT must be at least 1 behind a TLS proxy.")

# Served over HTTPS (DJANGO_SITE_URL says https): then plain HTTP is redirected and browsers
# are told to use HTTPS only (HSTS), unless the variables below say otherwise.
HTTPS = SITE_URL.startswith("https://")

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    # Only behind a TLS proxy that says so (DJANGO_BEHIND_TLS_PROXY): without that header
    # every request would look like plain HTTP and be redirected for ever.
    SECURE_SSL_REDIRECT = env_bool(
        "DJANGO_SECURE_SSL_REDIRECT", HTTPS and "SECURE_PROXY_SSL_HEADER" in globals()
    )
    # A browser that has seen HSTS over HTTPS refuses plain HTTP to the site (and with
    # includeSubDomains to its subdomains) for a year; browsers ignore it over plain HTTP,
    # so make serve's http:// address is unaffected.
    SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31_536_000 if HTTPS else 0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
    # Preloading is a request to browser makers, hard to take back: the newsroom decides
    # (hstspreload.org), so it stays off and Django's reminder (security.W021) is silenced.
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    # One JSON object per line on stderr (gunicorn passes it on): each request's line from
    # newsroom.request_log, and errors with their traceback and request id. Django's own
    # 4xx warnings are left out: the request line says the same.
    LOGGING = {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "newsroom.request_log.RequestIdFilter"}},
        "formatters": {"json": {"()": "newsroom.request_log.JsonFormatter"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["stderr"], "level": "WARNING"},
        "loggers": {
            "django": {"handlers": ["stderr"], "level": "ERROR", "propagate": False},
            "newsroom.requests": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        },
    }
