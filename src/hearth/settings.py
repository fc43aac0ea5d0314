"""One typed settings object for the whole application (environment prefix HEARTH_)."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET_MARKERS = {"", "change-me", "changeme", "secret", "dev"}


class UnsafeConfiguration(RuntimeError):
    """Raised when the settings would be unsafe for the chosen environment."""


class Settings(BaseSettings):
    """Hearth's configuration; every field can be set as HEARTH_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="HEARTH_", extra="ignore")

    env: Literal["development", "production", "test"] = "development"
    data_dir: Path = Path("var")
    media_dir: Path | None = None
    database_url: str | None = None
    redis_url: str | None = None
    queue_name: str = "hearth"
    secret_key: SecretStr | None = None
    master_key_file: Path | None = None
    base_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000

    session_idle_minutes: int = 60
    session_max_hours: int = 12
    lockout_threshold: int = 5
    lockout_minutes: int = 15
    magic_link_minutes: int = 15

    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    mail_from: str = "Hearth <no-reply@hearth.invalid>"
    dev_outbox: bool | None = Field(
        default=None,
        description="Show every outgoing message on /dev/outbox (default: on outside production)",
    )

    late_entry_hours: int = Field(
        default=72,
        description="A note or addendum signed later than this after the session is a late entry",
    )
    templates_dir: Path | None = None

    recording_retention_days: int = Field(
        default=30,
        ge=1,
        description="Practice maximum: audio whose note stays unsigned is deleted after this "
        "many days (after a final warning)",
    )
    recording_reminder_days: int = Field(
        default=7, ge=1, description="Remind the clinician when audio has waited this many days"
    )
    recording_final_warning_days: int = Field(
        default=3, ge=1, description="The final warning goes out this many days before deletion"
    )
    recording_live_window_seconds: float = Field(
        default=6.0,
        gt=0,
        description="While recording, each new window of this much audio is transcribed live",
    )
    recording_abandon_minutes: int = Field(
        default=60,
        ge=5,
        description="A live recording with no connection for this long is finished as it is",
    )

    asr_model: str | None = Field(
        default=None,
        description=(
            "Speech model: a CTranslate2 Whisper model folder, or a name already in the local "
            "model cache (small.en, large-v3, …); default the bundled tiny.en. Never downloaded"
        ),
    )
    asr_device: Literal["auto", "cpu", "cuda"] = Field(
        default="auto", description="Where speech recognition runs: auto (a GPU if seen), cpu, cuda"
    )

    job_workers: int = 2
    immediate_jobs: bool = False

    @field_validator("data_dir", "media_dir", "master_key_file", mode="after")
    @classmethod
    def _absolute(cls, v: Path | None) -> Path | None:
        return v.expanduser().resolve() if v is not None else None

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def outbox_enabled(self) -> bool:
        return (not self.production) if self.dev_outbox is None else self.dev_outbox

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'hearth.db'}"

    @property
    def effective_media_dir(self) -> Path:
        return self.media_dir or self.data_dir / "media"

    @property
    def effective_templates_dir(self) -> Path | None:
        """HEARTH_TEMPLATES_DIR, else a ``templates`` folder in the data folder if there is one."""
        if self.templates_dir is not None:
            return self.templates_dir
        default = self.data_dir / "templates"
        return default if default.is_dir() else None

    @property
    def effective_master_key_file(self) -> Path:
        return self.master_key_file or self.data_dir / "master.key"

    def secret_bytes(self) -> bytes:
        """The secret key used to sign audit checkpoints and tokens."""
        if self.secret_key is None:
            raise UnsafeConfiguration("HEARTH_SECRET_KEY is not set")
        return self.secret_key.get_secret_value().encode()

    def prepare(self) -> Settings:
        """Check the settings and, outside production, create missing secrets once (0600)."""
        if self.production:
            self._check_production()
            return self
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key_file = self.effective_master_key_file
        if not key_file.exists():
            _write_secret_file(key_file, secrets.token_hex(32))
        if self.secret_key is None:
            secret_file = self.data_dir / "secret.key"
            if not secret_file.exists():
                _write_secret_file(secret_file, secrets.token_urlsafe(48))
            self.secret_key = SecretStr(secret_file.read_text().strip())
        return self

    def _check_production(self) -> None:
        problems = []
        if self.secret_key is None or self.secret_key.get_secret_value().strip().lower() in (
            DEFAULT_SECRET_MARKERS
        ):
            problems.append("HEARTH_SECRET_KEY is missing or a default value")
        elif len(self.secret_key.get_secret_value()) < 32:
            problems.append("HEARTH_SECRET_KEY must be at least 32 characters")
        if self.master_key_file is None:
            problems.append("HEARTH_MASTER_KEY_FILE is not set")
        else:
            key_file = self.master_key_file
            if not key_file.is_file():
                problems.append(f"master key file {key_file} does not exist")
            elif key_file.is_relative_to(self.data_dir):
                problems.append(
                    f"master key file {key_file} is inside the data directory {self.data_dir}; "
                    "keep it apart so a copy of the data is not a copy of the key"
                )
        if problems:
            raise UnsafeConfiguration("refusing to start in production: " + "; ".join(problems))


def _write_secret_file(path: Path, value: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(value + "\n")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment and prepared once."""
    return Settings().prepare()
