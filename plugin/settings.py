"""The one settings object. Nothing else in the service reads the environment."""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir
from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    """The per-user data folder (``~/.local/share/be-inspired`` on Linux, or under
    ``XDG_DATA_HOME``): the demo's database and the evaluation report live there."""
    return Path(user_data_dir("be-inspired", appauthor=False))


def default_database_url() -> str:
    return f"sqlite:///{default_data_dir() / 'be-inspired.sqlite3'}"


class Settings(BaseSettings):
    """Configuration from environment variables (``BEINSPIRED_*``, plus the usual
    ``DATABASE_URL`` and ``REDIS_URL``)."""

    model_config = SettingsConfigDict(env_prefix="BEINSPIRED_", extra="ignore")

    database_url: str = Field(
        default_factory=default_database_url,
        validation_alias=AliasChoices("DATABASE_URL", "BEINSPIRED_DATABASE_URL"),
    )
    redis_url: str | None = Field(
        default=None, validation_alias=AliasChoices("REDIS_URL", "BEINSPIRED_REDIS_URL")
    )
    #: Serves /demo, the bundled demo org and the demo panel. Off in production.
    demo_mode: bool = False
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    #: ``beinspired serve``: worker processes (unset: one per usable core) and threads in each.
    web_workers: int | None = Field(default=None, ge=1, le=64)
    web_threads: int = Field(default=4, ge=1, le=64)
    #: BLAS/OpenMP threads per worker process; the processes already use every core.
    blas_threads: int = Field(default=1, ge=1, le=64)
    #: Request bodies larger than this are refused with 413 before they are parsed.
    max_request_bytes: int = Field(default=1_000_000, ge=1024)
    #: How many suggestions the panel shows, per list.
    suggestions_client_facing: int = Field(default=5, ge=1, le=50)
    suggestions_internal: int = Field(default=3, ge=0, le=50)
    #: Up to this many modules in an org's catalog, the first view after a catalog edit or a new
    #: model refits the ranker before it ranks (a few milliseconds); above it the refit runs in
    #: the background and the previous fit serves until it is ready (docs/design/ranking.md).
    refit_inline_modules: int = Field(default=200, ge=0)
    #: Where a background refit reads the catalog and fits: ``process``, a child process of each
    #: server process, so the panel's threads never wait for the interpreter lock meanwhile;
    #: ``thread``, the refit's own thread (an in-memory SQLite database always uses it).
    refit_in: Literal["process", "thread"] = "process"
    #: Searches one person may run in the panel per minute (per web process).
    panel_searches_per_minute: int = Field(default=30, ge=1, le=1000)
    log_level: str = "INFO"
    #: ``text`` (one readable line per record) or ``json`` (one JSON object per line, for a log
    #: collector); both carry the request's id.
    log_format: Literal["text", "json"] = "text"
    #: The bearer token Prometheus sends to scrape ``/metrics``; unset, ``/metrics`` is off (404):
    #: the figures name orgs, so they are not for anyone who can reach the service.
    metrics_token: str | None = Field(default=None, repr=False, min_length=16)
    #: Fernet keys that encrypt org secrets at rest, comma-separated, newest first. They live
    #: outside the database on purpose; ``beinspired org new-key`` makes one.
    encryption_keys: str = Field(default="", repr=False)
    #: Signs the short-lived tokens the panel sends back (at least 32 characters). Every worker
    #: must share it; unset, each process makes its own and tokens die with the process.
    app_secret: str | None = Field(default=None, repr=False, min_length=32)
    #: How long an opportunity's Salesforce context is reused before it is fetched again.
    context_cache_seconds: float = Field(default=300.0, gt=0, le=86_400)
    #: The lean warm path: each catalog revision's display fields and card markup held in
    #: memory, unknown CRM values counted by the background recorder. ``false`` serves the
    #: previous path (display fields read per view, unknown values written in the request), for
    #: ``beinspired benchmark-load``'s same-run baseline.
    panel_caches: bool = True
    #: How long the panel's app token lives.
    app_token_seconds: int = Field(default=600, ge=60, le=3600)
    #: A workspace session signed in with Salesforce ends this long after sign-in, whatever
    #: happens, and sooner when unused for ``session_idle_seconds``.
    session_max_seconds: int = Field(default=8 * 3600, ge=300, le=7 * 86_400)
    session_idle_seconds: int = Field(default=3600, ge=60, le=86_400)
    #: The service's public base URL (``https://be-inspired.example.com``), from which the
    #: Salesforce sign-in callback URL is built. Unset, it is taken from each request, which is
    #: right unless a proxy in front rewrites the host or scheme.
    public_url: str | None = None
    #: How many proxies (load balancer, ingress) stand in front of the service and add
    #: X-Forwarded-* headers; their last that many hops are believed, the rest ignored. 0
    #: believes no forwarded header (the client is whoever opened the connection).
    proxy_count: int = Field(default=0, ge=0, le=5)
    #: Requests each caller (org and user) may make to each expensive endpoint (Word documents,
    #: rankings of a posted context, the previews, imports), in Flask-Limiter's notation; more
    #: get 429 with Retry-After.
    rate_limit_expensive: str = "60 per minute"
    #: Seconds between two deal-outcome syncs of an org, and between two trainings, in
    #: ``beinspired worker``.
    outcome_sync_interval: float = Field(default=3600.0, ge=60, le=7 * 86_400)
    training_interval: float = Field(default=86_400.0, ge=60, le=30 * 86_400)
    #: Seconds between two rebuilds of every org's analytics roll-ups (impressions shown since
    #: are read raw by the pages, so this bounds their cost, not their freshness).
    analytics_rollup_interval: float = Field(default=3600.0, ge=60, le=7 * 86_400)
    #: With ``REDIS_URL``: how often each worker checks the schedule in Redis for due jobs.
    schedule_poll_seconds: float = Field(default=5.0, ge=0.2, le=300)

    #: Hosts besides Salesforce's own that org instance URLs (and so every outbound CRM call)
    #: may name, comma-separated: ``sf-proxy.example.com``, ``*.test.example``, ``127.0.0.1``.
    #: Unset: only Salesforce's documented domains (docs/security/salesforce-contract.md).
    allowed_crm_hosts: str = ""
    #: A CA bundle file (PEM) the operator chooses for outbound Salesforce calls, e.g. behind a
    #: TLS-inspecting proxy; an org's own uploaded certificates take its place for that org.
    crm_ca_bundle: str | None = None
    #: The ranked lists of working sessions (rep, record, day, context) each process remembers
    #: for the catalog revision and model it serves, at most this many and this many MB (an
    #: estimate); 0 entries remembers none (and so does ``panel_caches=false``).
    ranked_list_cache_entries: int = Field(default=4096, ge=0, le=1_000_000)
    ranked_list_cache_mb: float = Field(default=16.0, gt=0, le=4096)
    #: Seconds a process reuses what a warm panel view reads of the database (the catalog
    #: revision, the active model, the rep's refresher stamp) before it asks again; a change
    #: another process commits reaches this one's panels at most this much later (this
    #: process's own commits at once). 0 asks on every view. At most 2: a catalog edit or a new
    #: model must reach every process within 5 s (issue 12).
    serving_state_hold_seconds: float = Field(default=1.0, ge=0, le=2)

    @field_validator("crm_ca_bundle")
    @classmethod
    def _ca_bundle_file(cls, path: str | None) -> str | None:
        if path is not None and not Path(path).is_file():
            raise ValueError(f"BEINSPIRED_CRM_CA_BUNDLE {path!r} is not a file")
        return path

    @field_validator("rate_limit_expensive")
    @classmethod
    def _limit_notation(cls, value: str) -> str:
        from limits import parse_many

        parse_many(value)  # ValueError names what is wrong
        return value

    @field_validator("database_url")
    @classmethod
    def _psycopg_driver(cls, url: str) -> str:
        """``postgres://`` and ``postgresql://`` (as Heroku and most hosts hand them out) mean
        PostgreSQL through psycopg 3, the driver this service installs."""
        for prefix in ("postgres://", "postgresql://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix):]
        return url

    @property
    def data_dir(self) -> Path:
        """Where files the service writes for people go (``beinspired evaluate``'s report)."""
        return default_data_dir()

    @property
    def encryption_key_list(self) -> list[str]:
        return [k.strip() for k in self.encryption_keys.split(",") if k.strip()]

    def ensure_data_dir(self) -> None:
        """Create the SQLite file's folder (a fresh machine has no per-user data dir yet)."""
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix) and self.database_url != "sqlite://":
            Path(self.database_url[len(prefix):]).parent.mkdir(parents=True, exist_ok=True)
