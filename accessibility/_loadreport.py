"""An accounting of what a loader read, loaded and rejected, kept in ``gdf.attrs``."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ._layers import shared

ATTRS_KEY = "load_report"


@dataclass
class LoadReport:
    """What a loader read from a source, what it kept and what it rejected, with reasons.

    Attributes
    ----------
    source
        The file or folder read.
    read
        Rows (features) read from the source.
    rejected
        One entry per rejected row: ``{"row": ..., "id": ..., "field": ..., "reason": ...}``.
    notes
        Counts and remarks that are not rejections (for example stops whose route list was cut).
    """

    source: str
    read: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def loaded(self) -> int:
        """Rows kept: read minus rejected."""
        return self.read - len(self.rejected)

    def reject(self, row: Any, reason: str, *, field: str | None = None, id: Any = None) -> None:
        """Record one rejected row with the reason (and the field at fault, when one is)."""
        self.rejected.append({"row": row, "id": id, "field": field, "reason": reason})

    def reasons(self) -> dict[str, int]:
        """Number of rejected rows per reason."""
        return dict(Counter(r["reason"] for r in self.rejected))

    def rejected_frame(self) -> pd.DataFrame:
        """The rejected rows as a table (columns row, id, field, reason)."""
        return pd.DataFrame(self.rejected, columns=["row", "id", "field", "reason"])

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        return {
            "source": self.source,
            "read": self.read,
            "loaded": self.loaded,
            "rejected": len(self.rejected),
            "rejected_by_reason": self.reasons(),
            "notes": self.notes,
        }

    def __str__(self) -> str:
        text = (
            f"{self.source}: read {self.read}, loaded {self.loaded}, rejected {len(self.rejected)}"
        )
        for reason, n in sorted(self.reasons().items()):
            text += f"\n  {n} rejected: {reason}"
        for key, value in self.notes.items():
            text += f"\n  {key}: {value}"
        return text


def attach(gdf: Any, report: LoadReport) -> Any:
    """Store ``report`` in ``gdf.attrs`` and return ``gdf``.

    The report is kept as a :class:`~accessibility._layers.SharedDict`: frames derived from
    ``gdf`` share it instead of deep-copying it (thousands of rejected rows, copied on every
    column access, cost seconds per run); :func:`get_report` returns a copy of it.
    """
    summary = report.as_dict()
    summary["rejected_rows"] = report.rejected
    gdf.attrs[ATTRS_KEY] = shared(summary)
    return gdf


def attach_summary(gdf: Any, summary: dict[str, Any]) -> Any:
    """Store an already summarised report (as :func:`attach` writes it) on ``gdf``; return ``gdf``."""
    gdf.attrs[ATTRS_KEY] = shared(summary)
    return gdf


def get_report(gdf: Any) -> dict[str, Any]:
    """The load report stored on ``gdf`` (an empty dict when it has none)."""
    return dict(gdf.attrs.get(ATTRS_KEY, {}))
