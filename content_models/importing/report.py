"""What an import found and did: row errors and the counts editors see, as text and as JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class RowError:
    row: int  # the spreadsheet's row number (the header is row 1); 0 for the file as a whole
    column: str
    message: str

    def __str__(self) -> str:
        where = f"第 {self.row} 行" if self.row else "文件"
        return f"{where}{f'「{self.column}」' if self.column else ''}：{self.message}"


@dataclass
class ImportReport:
    """What an import did (or, for a dry run, would do)."""

    type_label: str
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0  # invalid rows left out with valid_only
    drafts: int = 0  # rows saved as drafts because the user may not publish there
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    written: bool = False

    @property
    def error_rows(self) -> int:
        return len({e.row for e in self.errors})

    def summary(self) -> str:
        verb = "将" if self.dry_run or not self.written else "已"
        text = f"{self.type_label}共 {self.total} 行：{verb}新建 {self.created}，{verb}更新 {self.updated}，无变化 {self.unchanged}"
        if self.skipped:
            text += f"，跳过有错误的 {self.skipped} 行"
        if self.drafts:
            text += f"（其中 {self.drafts} 条保存为草稿，需提交审核后发布）"
        if self.errors and not self.written and not self.dry_run:
            text += f"。有 {self.error_rows} 行存在错误，未导入任何内容"
        return text + "。"

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": self.type_label, "total": self.total, "created": self.created, "updated": self.updated,
            "unchanged": self.unchanged, "skipped": self.skipped, "drafts": self.drafts, "dry_run": self.dry_run,
            "written": self.written, "errors": [{"row": e.row, "column": e.column, "message": e.message} for e in self.errors],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImportReport:
        """The report `as_dict` wrote (a background import's result)."""
        fields = {k: data[k] for k in ("total", "created", "updated", "unchanged", "skipped", "drafts", "dry_run", "written")}
        return cls(type_label=data["type"], errors=[RowError(**e) for e in data["errors"]], **fields)
