"""Exceptions raised by the toolkit; all derive from ValueError."""

from __future__ import annotations

from os import PathLike


class AccessibilityError(ValueError):
    """Base class of every error the toolkit raises on purpose."""


class InputFileError(AccessibilityError):
    """An input file is missing, unreadable, or not in the expected format.

    The message names the file and, where known, the row and the field.
    """

    def __init__(
        self,
        path: str | PathLike[str] | None,
        message: str,
        *,
        row: int | str | None = None,
        field: str | None = None,
    ) -> None:
        self.path = None if path is None else str(path)
        self.row = row
        self.field = field
        where = []
        if self.path is not None:
            where.append(self.path)
        if row is not None:
            where.append(f"row {row}")
        if field is not None:
            where.append(f"field {field!r}")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class MissingColumnError(InputFileError):
    """A required column (field) is absent from an input table."""


class CRSError(AccessibilityError):
    """A coordinate reference system is missing, wrong, or unusable for distances."""


class DataNotFoundError(AccessibilityError):
    """A dataset could not be found in the data directory or the download cache."""


class AmbiguousDatasetError(AccessibilityError):
    """Two files could be the same dataset and nothing says which one to use."""


class DownloadError(AccessibilityError):
    """A dataset could not be downloaded (offline, or the checksum did not match)."""


class NetworkError(AccessibilityError):
    """A walking network is empty, malformed, or does not cover the points given."""


class InfeasibleError(AccessibilityError):
    """An optimisation model has no solution under the constraints given."""


class StudyFileError(AccessibilityError):
    """A study (TOML) file is missing, malformed, or holds an unknown parameter."""


class PartialDataError(AccessibilityError):
    """A run would lose more than a small share of the units, people or stops it was given."""


class ResourceLimitError(AccessibilityError):
    """An input or a requested computation would need more memory or disk than allowed."""


class OutputFolderError(AccessibilityError):
    """The output folder cannot be replaced safely (it holds files that are not a run's)."""
