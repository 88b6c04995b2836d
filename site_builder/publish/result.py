"""What a publish did, and the errors it raises when it cannot finish."""

from __future__ import annotations

from dataclasses import dataclass, field


class PublishError(Exception):
    """A publish that could not finish; the message says what failed and what was done."""

    def __init__(self, message: str, result: PublishResult | None = None) -> None:
        super().__init__(message)
        self.result = result


class MassDeleteRefused(PublishError):
    """The publish would delete more of the existing objects than the safety cap allows."""


@dataclass
class PublishResult:
    """What a publish did (or, with dry_run, would do)."""

    uploaded: int = 0
    deleted: int = 0
    unchanged: int = 0
    seconds: float = 0.0
    uploaded_keys: list[str] = field(default_factory=list)
    deleted_keys: list[str] = field(default_factory=list)
    dry_run: bool = False
    #: publish_changes(): why the target was listed and diffed in full ("" when only the recorded changes were sent).
    full_reason: str | None = None
    #: The MD5 of what the target holds, after this publish, for every key it uploaded or found unchanged
    #: (deleted keys are absent): what publish_changes() compares with the files still on disk.
    stored_md5s: dict[str, str] = field(default_factory=dict, repr=False)

    def summary(self) -> dict[str, int | float]:
        """The four figures the CLI prints with --json."""
        return {
            "uploaded": self.uploaded,
            "deleted": self.deleted,
            "unchanged": self.unchanged,
            "seconds": round(self.seconds, 3),
        }

