"""Read text tables, vector layers and zip members robustly, with errors naming the file."""

from __future__ import annotations

import fnmatch
import io
import re
import warnings
import zipfile
from collections.abc import Iterable
from os import PathLike
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pyogrio.errors
import shapely

from .._errors import InputFileError, MissingColumnError, ResourceLimitError

#: Encodings tried in order after UTF-8: Baltic Windows, then latin-1 (which never fails).
FALLBACK_ENCODINGS: tuple[str, ...] = ("cp1257", "latin-1")


def decode_bytes(data: bytes, *, source: str | PathLike[str] | None = None) -> tuple[str, str]:
    """Decode raw bytes of a text table, detecting the encoding.

    UTF-8 (with or without a byte-order mark) is tried first; if the bytes are not valid
    UTF-8, Windows-1257 (Baltic, the usual encoding of Latvian exports from Excel) and then
    latin-1 are used.

    Parameters
    ----------
    data
        The file content.
    source
        File name, for error messages.

    Returns
    -------
    tuple of (str, str)
        The decoded text (without BOM) and the name of the encoding used
        (``"utf-8-sig"`` when a BOM was present, else ``"utf-8"``, ``"cp1257"`` or ``"latin-1"``).
    """
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise InputFileError(
                source, f"starts with a UTF-8 byte-order mark but is not UTF-8: {exc}"
            ) from exc
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise InputFileError(
                source, f"starts with a UTF-16 byte-order mark but is not UTF-16: {exc}"
            ) from exc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    for encoding in FALLBACK_ENCODINGS:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes any byte
            continue
    raise InputFileError(source, "could not decode the text")  # pragma: no cover


def _sniff_separator(first_line: str) -> str:
    # Latvian Excel exports often use ";" because "," is the decimal separator.
    counts = {sep: first_line.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] > 0 else ","


def read_text_table(
    path: str | PathLike[str],
    *,
    required: Iterable[str] = (),
    sep: str | None = None,
    dtype: type | dict[str, type] | None = str,
    data: bytes | None = None,
) -> pd.DataFrame:
    """Read a delimited text table (CSV) with encoding and separator detection.

    Parameters
    ----------
    path
        The file. Named in every error message.
    required
        Column names that must be present (after stripping spaces from the header).
    sep
        Field separator; detected from the header line (``,``, ``;`` or tab) when None.
    dtype
        Passed to :func:`pandas.read_csv`; by default every column is read as text so that
        codes with leading zeros (ATVK ``0027400``) survive.
    data
        The file content, when it was already read (e.g. from a zip member); ``path`` is
        then used only in messages.

    Returns
    -------
    pandas.DataFrame
        The table, with ``attrs["encoding"]`` set to the encoding used and
        ``attrs["encoding_note"]`` set when the file was not UTF-8 (so loaders can put the
        note into their load report). Spaces after separators and around header names are
        stripped.

    Raises
    ------
    InputFileError
        If the file is missing, unreadable, empty, or cannot be parsed.
    MissingColumnError
        If a required column is absent.
    """
    if data is None:
        file = Path(path)
        if not file.exists():
            raise InputFileError(path, "file not found")
        if file.is_dir():
            raise InputFileError(path, "is a folder, not a table file")
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise InputFileError(path, f"cannot be read: {exc}") from exc
    text, encoding = decode_bytes(data, source=path)
    if not text.strip():
        raise InputFileError(path, "file is empty")
    if sep is None:
        sep = _sniff_separator(text.lstrip().splitlines()[0])
    try:
        table = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=dtype,
            skipinitialspace=True,
            keep_default_na=False,
            na_values=[""],
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise InputFileError(path, f"cannot be parsed as a {sep!r}-separated table: {exc}") from exc
    table.columns = [str(c).strip() for c in table.columns]
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise MissingColumnError(
            path,
            f"required column(s) {', '.join(map(repr, missing))} missing; "
            f"found {', '.join(map(repr, table.columns))}",
            field=missing[0],
        )
    # Strip surrounding spaces from text cells too ("0027400 " must still match).
    for column in table.columns:
        if table[column].dtype == object:
            table[column] = table[column].map(lambda v: v.strip() if isinstance(v, str) else v)
    table.attrs["encoding"] = encoding
    if encoding not in ("utf-8", "utf-8-sig"):
        table.attrs["encoding_note"] = f"{Path(path).name} is not UTF-8; read as {encoding}"
    return table


def open_zip(path: str | PathLike[str]) -> zipfile.ZipFile:
    """Open a zip archive, raising InputFileError naming the file when it is missing or corrupt."""
    file = Path(path)
    if not file.exists():
        raise InputFileError(path, "file not found")
    try:
        archive = zipfile.ZipFile(file)
        # Before any member is decompressed: a small archive can expand to gigabytes.
        check_zip_size(archive, path)
        bad = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise InputFileError(
            path, f"not a readable zip archive (truncated or corrupt?): {exc}"
        ) from exc
    except zipfile.LargeZipFile as exc:  # pragma: no cover
        raise InputFileError(path, f"zip archive too large: {exc}") from exc
    if bad is not None:
        archive.close()
        raise InputFileError(path, f"zip member {bad!r} is corrupt (CRC mismatch)")
    return archive


#: Largest total uncompressed size of a zip archive the loaders read (bytes).
MAX_UNCOMPRESSED_BYTES: int = 2 * 1024**3

#: Largest compression ratio of an archive that expands beyond :data:`RATIO_FROM_BYTES`:
#: text tables compress 5-20 times; a far higher ratio is a zip bomb or a damaged archive.
MAX_COMPRESSION_RATIO: float = 200.0

#: Uncompressed size from which the ratio is checked (small files may compress very well).
RATIO_FROM_BYTES: int = 64 * 1024**2


def _size(n: float) -> str:
    return f"{n / 1024**3:,.1f} GiB" if n >= 1024**3 else f"{n / 1024**2:,.1f} MiB"


def check_zip_size(archive: zipfile.ZipFile, path: str | PathLike[str]) -> None:
    """Refuse an archive whose declared uncompressed size or compression ratio is too large.

    Raises
    ------
    ResourceLimitError
        Naming the archive, the largest member and the size it would need.
    """
    infos = [i for i in archive.infolist() if not i.is_dir()]
    total = sum(i.file_size for i in infos)
    packed = max(sum(i.compress_size for i in infos), 1)
    largest = max(infos, key=lambda i: i.file_size, default=None)
    name = (
        ""
        if largest is None
        else f" (largest member {largest.filename!r}: {_size(largest.file_size)})"
    )
    if total > MAX_UNCOMPRESSED_BYTES:
        raise ResourceLimitError(
            f"{path}: zip archive expands to {_size(total)}{name}, above the limit of "
            f"{_size(MAX_UNCOMPRESSED_BYTES)}"
        )
    if total > RATIO_FROM_BYTES and total / packed > MAX_COMPRESSION_RATIO:
        raise ResourceLimitError(
            f"{path}: zip archive expands {total / packed:,.0f} times ({_size(packed)} to "
            f"{_size(total)}){name}, above the limit of {MAX_COMPRESSION_RATIO:g}; a zip bomb "
            "or a damaged archive?"
        )


def zip_members(path: str | PathLike[str], pattern: str) -> list[str]:
    """Names of the members of zip ``path`` whose base name matches the glob ``pattern``.

    The match ignores case and folders inside the archive; macOS ``__MACOSX`` entries are skipped.
    """
    with open_zip(path) as archive:
        names = archive.namelist()
    regex = re.compile(fnmatch.translate(pattern), re.IGNORECASE)
    return [
        n
        for n in names
        if not n.endswith("/") and "__MACOSX" not in n and regex.match(n.rsplit("/", 1)[-1])
    ]


def read_zip_member(path: str | PathLike[str], pattern: str) -> tuple[str, bytes]:
    """Read the single member of zip ``path`` matching the glob ``pattern``.

    Returns
    -------
    tuple of (str, bytes)
        The member name and its content.

    Raises
    ------
    InputFileError
        If the archive is missing or corrupt, or no member (or more than one) matches.
    """
    members = zip_members(path, pattern)
    if not members:
        raise InputFileError(path, f"no file matching {pattern!r} inside the zip archive")
    if len(members) > 1:
        raise InputFileError(
            path, f"several files match {pattern!r} inside the zip archive: {', '.join(members)}"
        )
    with open_zip(path) as archive:
        try:
            # The declared size can lie: never read more than it says (plus one byte to tell).
            declared = archive.getinfo(members[0]).file_size
            with archive.open(members[0]) as member:
                data = member.read(declared + 1)
            if len(data) > declared:
                raise InputFileError(
                    path,
                    f"zip member {members[0]!r} holds more than its declared {declared:,} bytes",
                )
            return members[0], data
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise InputFileError(path, f"zip member {members[0]!r} cannot be read: {exc}") from exc


def open_zip_member(path: str | PathLike[str], pattern: str) -> io.BytesIO:
    """The single member of zip ``path`` matching ``pattern``, as an in-memory binary file."""
    _, data = read_zip_member(path, pattern)
    return io.BytesIO(data)


#: Vector formats looked for inside a folder or a zip archive, in order of preference.
VECTOR_SUFFIXES: tuple[str, ...] = (".shp", ".gpkg", ".geojson", ".json", ".fgb")


def _pick(candidates: list[str], path: str | PathLike[str], prefer: str | None) -> str:
    if not candidates:
        raise InputFileError(
            path, f"holds no vector layer (looked for {', '.join(VECTOR_SUFFIXES)} files)"
        )
    if len(candidates) > 1 and prefer:
        preferred = [c for c in candidates if prefer.lower() in Path(c).name.lower()]
        if len(preferred) == 1:
            return preferred[0]
    if len(candidates) > 1:
        raise InputFileError(
            path, f"holds several vector layers, pass one of them: {', '.join(sorted(candidates))}"
        )
    return candidates[0]


def vector_source(path: str | PathLike[str], *, prefer: str | None = None) -> str:
    """The GDAL data-source name of the layer at ``path``.

    ``path`` may be a vector file, a folder holding exactly one layer (or one whose name
    contains ``prefer``), or a zip archive of a shapefile as published on the open data portal.
    """
    file = Path(path)
    if not file.exists():
        raise InputFileError(path, "file not found")
    if file.is_dir():
        found = [str(p) for s in VECTOR_SUFFIXES for p in sorted(file.glob(f"*{s}"))]
        return _pick(found, path, prefer)
    if file.suffix.lower() == ".zip":
        members = [m for s in VECTOR_SUFFIXES for m in zip_members(file, f"*{s}")]
        member = _pick(members, path, prefer)
        return f"/vsizip/{file.resolve()}/{member}"
    return str(file)


def read_vector(path: str | PathLike[str], *, prefer: str | None = None) -> gpd.GeoDataFrame:
    """Read the vector layer at ``path`` (file, folder or zip) as a GeoDataFrame in its own CRS.

    Raises
    ------
    InputFileError
        If the file is missing, empty, corrupt or holds no features.
    """
    source = vector_source(path, prefer=prefer)
    try:
        with warnings.catch_warnings():
            # NaN or inf vertices warn in GEOS; the loaders reject those rows by number instead.
            warnings.filterwarnings("ignore", "invalid value encountered", RuntimeWarning)
            try:
                gdf = pyogrio.read_dataframe(source)
            except shapely.errors.GEOSException:
                # A geometry GEOS cannot build (an unclosed ring): read it as missing, so the
                # loader rejects that row and names it, instead of failing the whole file.
                gdf = pyogrio.read_dataframe(source, on_invalid="ignore")
    except (
        pyogrio.errors.DataSourceError,
        pyogrio.errors.DataLayerError,
        pyogrio.errors.FieldError,
        pyogrio.errors.GeometryError,
        OSError,
    ) as exc:
        raise InputFileError(path, f"cannot be read as a vector layer: {exc}") from exc
    except UnicodeDecodeError as exc:
        # The attribute table (.dbf) is not in the encoding its .cpg (or the format) declares.
        raise InputFileError(
            path,
            f"attribute text is not in the declared encoding ({exc.encoding}): byte "
            f"{exc.object[exc.start : exc.start + 1]!r} cannot be decoded; fix the .cpg file (for "
            "example 1257 for Baltic Windows text) or save the layer again as UTF-8",
        ) from exc
    if not isinstance(gdf, gpd.GeoDataFrame) or "geometry" not in gdf.columns:
        raise InputFileError(path, "has no geometry")
    if len(gdf) == 0:
        raise InputFileError(path, "holds no features")
    return gdf
