"""Documented configuration defaults; create_app() layers instance/config.py, SKOTSEL_* variables and tests on top."""

#: SQLAlchemy URL; None means instance/skotsel.sqlite. PostgreSQL: postgresql+psycopg://user:pass@host/db
DATABASE_URL = None
#: Secret for sessions and CSRF. None reads (or creates once) instance/secret_key.
SECRET_KEY = None
#: Language of the UI when the user has not chosen one.
BABEL_DEFAULT_LOCALE = "sv"
BABEL_DEFAULT_TIMEZONE = "Europe/Stockholm"
LANGUAGES = ("sv", "en")
#: SMTP server for invitations, reminders and digests. None (the default, as under `make run`): nothing is sent;
#: each message is written as an .eml file to OUTBOX_FOLDER and listed for admins. Tests point this at aiosmtpd.
MAIL_SERVER = None
MAIL_PORT = 25
#: STARTTLS on a plain connection (port 587), or TLS from the first byte (port 465); at most one of them.
MAIL_USE_TLS = False
MAIL_USE_SSL = False
MAIL_USERNAME = None
MAIL_PASSWORD = None
MAIL_SENDER = "skotsel <noreply@skotsel.invalid>"
#: Seconds to wait for the SMTP server.
MAIL_TIMEOUT = 10
#: Where messages go without an SMTP server; None means instance/outbox.
OUTBOX_FOLDER = None
#: The date the app takes as today ("YYYY-MM-DD"); None means today in Europe/Stockholm. For demos and tests only.
TODAY = None
#: How far ahead occurrences are planned: the rest of the current season plus this many whole seasons after it.
SCHEDULE_HORIZON_SEASONS = 1
#: Absolute base URL used in e-mails when there is no request (CLI, scheduler).
BASE_URL = "http://127.0.0.1:5000"
#: The domain part of calendar event UIDs ("occurrence-123@skotsel"). Set it once for an installation and never
#: change it: a new UID is a new event in every subscribed calendar.
FEED_UID_DOMAIN = "skotsel"
#: Reverse proxies in front of skotsel (e.g. 1 for nginx) whose X-Forwarded-For/-Proto/-Host are trusted; 0: none.
TRUSTED_PROXIES = 0
#: Days an invitation link stays valid.
INVITATION_DAYS = 7
#: Where uploaded files (agreement documents, later photos) are kept; None means instance/uploads.
UPLOAD_FOLDER = None
#: Largest agreement document accepted, in bytes.
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
#: Largest request body of any kind (Flask answers 413 above it); uploads have their own, smaller limits.
MAX_CONTENT_LENGTH = 25 * 1024 * 1024
#: Largest photo accepted (JPEG, PNG or WebP), in bytes; and the most pixels one may decode to.
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTO_PIXELS = 40_000_000
#: Hours within which a member may edit or withdraw their own completion (coordinators always may).
COMPLETION_EDIT_HOURS = 24
#: Shortest password accepted.
PASSWORD_MIN_LENGTH = 12
#: Map tiles; the only outside resource. Pages work without them.
TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
TILE_ATTRIBUTION = "&copy; OpenStreetMap-bidragsgivare"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
#: Send the session cookie only over HTTPS. None decides from the other settings (see secure_cookies below): on
#: whenever BASE_URL is https:// and the app runs neither in TESTING nor in DEBUG.
SESSION_COOKIE_SECURE = None
#: Minutes without a request after which a signed-in session ends.
SESSION_IDLE_MINUTES = 8 * 60
#: Failed sign-ins allowed within LOGIN_WINDOW_MINUTES for one account (known or not), and from one IP address;
#: beyond them signing in is refused until the window has passed.
LOGIN_MAX_FAILURES_PER_ACCOUNT = 10
LOGIN_MAX_FAILURES_PER_ADDRESS = 10
LOGIN_WINDOW_MINUTES = 15
#: Minutes a password reset link stays valid; it can be used once.
PASSWORD_RESET_MINUTES = 60
#: Reset links sent to one account per hour at most (more requests get the same answer and no e-mail).
PASSWORD_RESETS_PER_HOUR = 3
WTF_CSRF_TIME_LIMIT = None


def secure_cookies(config) -> bool:
    """SESSION_COOKIE_SECURE when set; otherwise on unless TESTING or DEBUG or BASE_URL is plain http://."""
    if config.get("SESSION_COOKIE_SECURE") is not None:
        return bool(config["SESSION_COOKIE_SECURE"])
    if config.get("TESTING") or config.get("DEBUG"):
        return False
    return not str(config.get("BASE_URL") or "").startswith("http://")
