"""Configuration, read from the environment. `create_app(config_class)` picks one of these classes."""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("EUROGRANTS_INSTANCE", BASE_DIR / "instance"))
DEVELOPMENT_SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - the value production refuses


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'eurogrants.db'}")
    # Heroku-style and plain postgres:// URLs go through psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _engine_options(url: str) -> dict[str, object]:
    # pre_ping lets the pool survive a database restart without restarting the app.
    options: dict[str, object] = {"pool_pre_ping": True}
    if url.startswith("sqlite"):
        # Wait for a competing writer instead of failing with "database is locked".
        options["connect_args"] = {"timeout": 30}
    return options


class Config:
    # Which kind of installation this is: "development" (the default, `make run`), "testing" or "production". Any
    # other EUROGRANTS_ENV runs with this class but is not development: `flask seed demo` refuses it too.
    ENVIRONMENT = os.environ.get("EUROGRANTS_ENV", "development")
    SECRET_KEY = os.environ.get("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS = _engine_options(SQLALCHEMY_DATABASE_URI)
    SQLALCHEMY_RECORD_QUERIES = False
    # Stored files (app/storage.py): a local folder, or an S3-compatible bucket shared by every server.
    STORAGE_BACKEND = os.environ.get("STORAGE_BACKEND", "local")
    STORAGE_DIR = os.environ.get("STORAGE_DIR", str(INSTANCE_DIR / "storage"))
    S3_BUCKET = os.environ.get("S3_BUCKET", "")
    S3_PREFIX = os.environ.get("S3_PREFIX", "")
    S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL", "")  # empty: AWS itself
    S3_REGION = os.environ.get("S3_REGION", "")
    S3_ADDRESSING_STYLE = os.environ.get("S3_ADDRESSING_STYLE", "")  # "path" for most MinIO and Ceph set-ups
    MAX_UPLOAD_BYTES = int(os.environ.get("MAX_UPLOAD_BYTES", 10 * 1024 * 1024))
    # Werkzeug refuses larger bodies with 413 before reading them; a little room for the form fields.
    MAX_CONTENT_LENGTH = MAX_UPLOAD_BYTES + 256 * 1024
    # Uploaded PDFs are read in a separate process (app/pdf_inspection.py) within these limits; beyond them the
    # file is refused as too complex: CPU seconds, wall-clock seconds, address space, all inflated streams
    # together, and the length of the cross-reference chain (/Prev links).
    PDF_INSPECTION_CPU_SECONDS = int(os.environ.get("PDF_INSPECTION_CPU_SECONDS", 10))
    PDF_INSPECTION_SECONDS = float(os.environ.get("PDF_INSPECTION_SECONDS", 20))
    PDF_INSPECTION_MEMORY_MB = int(os.environ.get("PDF_INSPECTION_MEMORY_MB", 768))
    PDF_MAX_INFLATED_MB = int(os.environ.get("PDF_MAX_INFLATED_MB", 64))
    PDF_MAX_XREF_SECTIONS = int(os.environ.get("PDF_MAX_XREF_SECTIONS", 32))
    # Annex uploads per account (each is read by a limited process; see PDF_INSPECTION_* above), pages and API
    # together; Flask-Limiter's notation.
    UPLOAD_RATE_LIMIT = os.environ.get("UPLOAD_RATE_LIMIT", "60 per hour")
    # API tokens expire: after API_TOKEN_DAYS unless the exchange asks for another life, at most API_TOKEN_MAX_DAYS.
    API_TOKEN_DAYS = int(os.environ.get("API_TOKEN_DAYS", 30))
    API_TOKEN_MAX_DAYS = int(os.environ.get("API_TOKEN_MAX_DAYS", 365))
    # A JSON body nested deeper is refused with 400 before any view runs (app/web/input_guard.py).
    MAX_JSON_DEPTH = int(os.environ.get("MAX_JSON_DEPTH", 32))
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # a draft may stay open for hours before the deadline
    SESSION_COOKIE_HTTPONLY = True
    # A signed-in session (app/services/sessions.py) ends after this long without a request, and this long after
    # its log-in whatever the activity; the user logs in again.
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "120"))
    SESSION_ABSOLUTE_HOURS = int(os.environ.get("SESSION_ABSOLUTE_HOURS", "12"))
    # A password-reset link works once, for this long (app/services/passwords.py).
    PASSWORD_RESET_MINUTES = int(os.environ.get("PASSWORD_RESET_MINUTES", "60"))
    # A self-registered applicant confirms the address by a link that works once, for this long
    # (app/services/registration.py).
    REGISTRATION_CONFIRMATION_HOURS = int(os.environ.get("REGISTRATION_CONFIRMATION_HOURS", "24"))
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    DISPLAY_TIME_ZONE = "Europe/Brussels"
    # Redis (REDIS_URL, e.g. redis://127.0.0.1:6379/0) is shared by every app server: rate limits and log-in
    # lockouts count there, and Celery uses it as its broker (JOBS_BACKEND=celery).
    REDIS_URL = os.environ.get("REDIS_URL", "")
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", REDIS_URL or "memory://")
    RATELIMIT_ENABLED = True
    # How many reverse proxies in front of the app to believe (X-Forwarded-For and -Proto, werkzeug's ProxyFix):
    # 1 behind one TLS proxy, 2 behind a load balancer and a proxy. 0 (the default) ignores those headers, which
    # any client can send: set it, or every client behind the proxy shares the proxy's address and its limits.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    API_TITLE = "Eurogrants API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    IS_PRODUCTION = False

    # Background jobs (app/jobs/): "local" (a process pool in the web process), "celery" (workers started
    # with `celery -A app.worker worker`, Redis as the broker) or "inline" (in the calling process; the tests).
    JOBS_BACKEND = os.environ.get("JOBS_BACKEND", "local")
    JOBS_WORKERS = int(os.environ.get("JOBS_WORKERS", 2))
    JOBS_INLINE = os.environ.get("JOBS_INLINE", "") == "1"
    CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
    # A message whose worker vanished (kill -9, a lost host) is delivered again after this many seconds; a
    # second delivery of a chunk that is still running is harmless (the job row decides who commits).
    CELERY_VISIBILITY_TIMEOUT = int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", 300))
    # Each worker looks this often for jobs whose message was lost (queued while Redis was down) and sends
    # again those that have waited this long while the broker's queue is empty.
    JOBS_SWEEP_SECONDS = float(os.environ.get("JOBS_SWEEP_SECONDS", 15))
    JOBS_SWEEP_AFTER_SECONDS = float(os.environ.get("JOBS_SWEEP_AFTER_SECONDS", 30))

    # Letters: who signs them, whom applicants contact, where the verification page lives.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    LETTER_ISSUER = os.environ.get("LETTER_ISSUER", "European Commission, DG GROW")
    LETTER_SIGNATORY = os.environ.get("LETTER_SIGNATORY", "Head of Unit")
    LETTER_CONTACT_EMAIL = os.environ.get("LETTER_CONTACT_EMAIL", "grants@eurogrants.test")
    # Grant agreement preparation starts this many days after the decision; the signature is due after 3 months.
    GRANT_PREPARATION_DAYS = int(os.environ.get("GRANT_PREPARATION_DAYS", 14))
    REDRESS_DAYS = int(os.environ.get("REDRESS_DAYS", 30))
    REDRESS_UNOPENED_DAYS = int(os.environ.get("REDRESS_UNOPENED_DAYS", 10))

    # Personal data (app/privacy/map.py): who answers for it, and how long each kind is kept (README, "Personal
    # data", says why each default is what it is). A call may name its own controller and DPO.
    PRIVACY_CONTROLLER = os.environ.get(
        "PRIVACY_CONTROLLER", "European Commission, DG GROW, Unit G.1 (grants@eurogrants.test)")
    PRIVACY_DPO = os.environ.get("PRIVACY_DPO", "The Data Protection Officer (dpo@eurogrants.test)")
    RETENTION_DRAFT_DAYS = int(os.environ.get("RETENTION_DRAFT_DAYS", 90))
    RETENTION_UNSUCCESSFUL_YEARS = int(os.environ.get("RETENTION_UNSUCCESSFUL_YEARS", 5))
    RETENTION_GRANT_AUDIT_YEARS = int(os.environ.get("RETENTION_GRANT_AUDIT_YEARS", 5))
    RETENTION_EVALUATOR_YEARS = int(os.environ.get("RETENTION_EVALUATOR_YEARS", 5))
    RETENTION_ACCOUNT_INACTIVE_YEARS = int(os.environ.get("RETENTION_ACCOUNT_INACTIVE_YEARS", 3))
    RETENTION_ACCESS_LOG_YEARS = int(os.environ.get("RETENTION_ACCESS_LOG_YEARS", 5))
    RETENTION_SHORT_DAYS = int(os.environ.get("RETENTION_SHORT_DAYS", 30))
    # Each erasure is also appended here (ids, pseudonyms and dates only), outside the database, so that
    # `backup restore` can erase again what a backup made before the erasure brings back. Empty: next to the
    # stored files (STORAGE_DIR/erasure-register.jsonl).
    ERASURE_REGISTER = os.environ.get("ERASURE_REGISTER", str(INSTANCE_DIR / "erasure-register.jsonl"))
    # The key of the pseudonyms given to erased people (an HMAC of the account's id); SECRET_KEY when empty.
    PSEUDONYM_KEY = os.environ.get("PSEUDONYM_KEY", "")

    # Outgoing mail (the outbox). No MAIL_SERVER: messages stay queued and are shown as not sent.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", 25))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "") == "1"
    MAIL_FROM = os.environ.get("MAIL_FROM", "Eurogrants <no-reply@eurogrants.test>")
    MAIL_TIMEOUT = int(os.environ.get("MAIL_TIMEOUT", 20))
    # Seconds between tries when the SMTP server is busy or unreachable (then the message is marked failed).
    MAIL_RETRY_DELAYS = os.environ.get("MAIL_RETRY_DELAYS", "2,10,30")

    # Tagged letters (PDF structure for screen readers): about +50 % rendering time per letter (measured with
    # WeasyPrint 70), so off unless asked for; receipts, rendered one at a time, are always tagged.
    LETTER_PDF_TAGS = os.environ.get("LETTER_PDF_TAGS", "") == "1"

    # The accessibility statement (/accessibility, as the Web Accessibility Directive requires): who answers
    # feedback, and the body a person can turn to when the answer does not satisfy them.
    ACCESSIBILITY_CONTACT_EMAIL = os.environ.get("ACCESSIBILITY_CONTACT_EMAIL", "accessibility@eurogrants.test")
    # Empty: the European Ombudsman, named and linked in the reader's language.
    ACCESSIBILITY_ENFORCEMENT_BODY = os.environ.get("ACCESSIBILITY_ENFORCEMENT_BODY", "")
    ACCESSIBILITY_ENFORCEMENT_URL = os.environ.get("ACCESSIBILITY_ENFORCEMENT_URL", "")


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    SESSION_COOKIE_SAMESITE = "Strict"
    IS_PRODUCTION = True
    ENVIRONMENT = "production"

    @classmethod
    def check(cls) -> None:
        """Refuse to start with the development key: sessions signed with it can be forged."""
        if not cls.SECRET_KEY or cls.SECRET_KEY == DEVELOPMENT_SECRET_KEY or len(cls.SECRET_KEY) < 32:
            raise RuntimeError("SECRET_KEY must be set to a random value of at least 32 characters in production")


class TestingConfig(Config):
    TESTING = True
    ENVIRONMENT = "testing"
    SECRET_KEY = "testing-key"  # noqa: S105
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    SQLALCHEMY_ENGINE_OPTIONS = _engine_options(SQLALCHEMY_DATABASE_URI)
    if SQLALCHEMY_DATABASE_URI.startswith("postgresql"):
        # A mistake that waits on a lock fails fast instead of hanging CI.
        SQLALCHEMY_ENGINE_OPTIONS["connect_args"] = {
            "options": "-c lock_timeout=10000 -c statement_timeout=60000"
        }
    STORAGE_DIR = ""  # each test app gets its own temporary folder
    ERASURE_REGISTER = ""  # beside it
    JOBS_INLINE = True  # background jobs run in the test process; tests of the process pool turn this off
    MAIL_SERVER = ""
    MAIL_RETRY_DELAYS = "0,0"


def config_from_env() -> type[Config]:
    """The class named by EUROGRANTS_ENV (development by default)."""
    return {"production": ProductionConfig, "testing": TestingConfig}.get(
        os.environ.get("EUROGRANTS_ENV", "development"), Config
    )
