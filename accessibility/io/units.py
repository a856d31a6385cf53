"""Load territorial units, municipalities and the ATVK classifier; assign points to units."""

from __future__ import annotations

import re
from os import PathLike
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import schema, settings
from .._errors import InputFileError, MissingColumnError
from .._layers import mark_checked
from .._loadreport import ATTRS_KEY, LoadReport, attach, attach_summary
from ..projection import to_working_crs
from ._tables import read_text_table, read_vector

#: CSB ``L1_type`` values and the unit kind each stands for. Type 6 ("novada pilsēta") also
#: holds Jēkabpils, Ogre and Valmiera, which are state cities that lie inside a novads (see
#: :data:`STATE_CITIES_IN_NOVADS`); they are re-typed after this mapping.
L1_TYPE_KINDS: dict[int, str] = {1: "state_city", 6: "town", 7: "parish"}

#: State cities (valstspilsētas) that are part of a novads rather than their own local
#: government, by ATVK code: the Law on Administrative Territories and Populated Areas
#: (Administratīvo teritoriju un apdzīvoto vietu likums, 2020, section 7) names ten state
#: cities, seven with their own municipality (codes 0001000-0007000) and these three. The
#: ATVK2021 classifier lists them at level 2 (inside their novads) and CSB's layer types them
#: as towns (``L1_type`` 6).
STATE_CITIES_IN_NOVADS: dict[str, str] = {
    "0031010": "Jēkabpils",
    "0040010": "Ogre",
    "0054010": "Valmiera",
}

#: ATVK code of each of the 43 municipalities of the 2021 reform, keyed by the CSB ``L0_name``
#: (state cities by their short name). Taken from the CSB territorial-unit layer of 2022-07-01
#: (identical in the 2024-01-01 edition); Varakļānu novads was merged into Madonas novads on
#: 2024-06-30 (Madonas novads then became 0038001).
MUNICIPALITY_CODES_2021: dict[str, str] = {
    "Rīga": "0001000",
    "Daugavpils": "0002000",
    "Jelgava": "0003000",
    "Jūrmala": "0004000",
    "Liepāja": "0005000",
    "Rēzekne": "0006000",
    "Ventspils": "0007000",
    "Aizkraukles novads": "0020000",
    "Alūksnes novads": "0021000",
    "Augšdaugavas novads": "0022000",
    "Ādažu novads": "0023000",
    "Balvu novads": "0024000",
    "Bauskas novads": "0025000",
    "Cēsu novads": "0026000",
    "Dienvidkurzemes novads": "0027000",
    "Dobeles novads": "0028000",
    "Gulbenes novads": "0029000",
    "Jelgavas novads": "0030000",
    "Jēkabpils novads": "0031000",
    "Krāslavas novads": "0032000",
    "Kuldīgas novads": "0033000",
    "Ķekavas novads": "0034000",
    "Limbažu novads": "0035000",
    "Līvānu novads": "0036000",
    "Ludzas novads": "0037000",
    "Madonas novads": "0038000",
    "Mārupes novads": "0039000",
    "Ogres novads": "0040000",
    "Olaines novads": "0041000",
    "Preiļu novads": "0042000",
    "Rēzeknes novads": "0043000",
    "Ropažu novads": "0044000",
    "Salaspils novads": "0045000",
    "Saldus novads": "0046000",
    "Saulkrastu novads": "0047000",
    "Siguldas novads": "0048000",
    "Smiltenes novads": "0049000",
    "Talsu novads": "0051000",
    "Tukuma novads": "0052000",
    "Valkas novads": "0053000",
    "Valmieras novads": "0054000",
    "Varakļānu novads": "0055000",
    "Ventspils novads": "0056000",
}

#: Columns of the CSB layer and the schema column each becomes.
_CSB_UNIT_FIELDS: dict[str, str] = {
    "L1_code": "unit_code",
    "L1_name": "unit_name",
    "L1_type": "unit_kind",
    "L0_code": "municipality_code",
    "L0_name": "municipality_name",
}

#: Columns of the CSB classifier CSV and the names the loaded table uses.
CLASSIFIER_FIELDS: dict[str, str] = {
    "Kods": "code",
    "Nosaukums": "name",
    "Spēkā no": "valid_from",
    "Spēkā līdz": "valid_until",
    "Veiktās izmaiņas": "change",
    "Kods pirms izmaiņām": "code_before",
    "Kods pēc izmaiņām": "code_after",
    "Līmenis": "level",
}

_CODE_RE = re.compile(r"^\d{7}$")


def normalise_code(value: Any) -> str | None:
    """An ATVK code as a 7-digit string: strips spaces and an ``LV`` prefix, restores leading zeros.

    Returns None for a missing value. A value that is not 1–7 digits is returned unchanged
    (stripped) so that the caller can reject it with the original text.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    is_whole_float = isinstance(value, (float, np.floating)) and float(value).is_integer()
    if isinstance(value, (int, np.integer)) or is_whole_float:
        text = str(int(value))
    else:
        text = str(value).strip()
    if text.upper().startswith("LV"):
        text = text[2:].strip()
    if text == "":
        return None
    # Codes that went through a spreadsheet as numbers lose their leading zeros (27400).
    if text.isdigit() and len(text) < 7:
        text = text.zfill(7)
    return text


def is_valid_code(code: str | None) -> bool:
    """True when ``code`` is a 7-digit ATVK code string."""
    return isinstance(code, str) and bool(_CODE_RE.match(code))


def _row_label(i: int) -> int:
    # Features are numbered from 1, as in GIS attribute tables.
    return i + 1


def _polygonal(geom: Any) -> Any:
    """The polygonal part of ``geom`` (make_valid can return a collection with lines)."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return None
    return shapely.union_all(parts)


def _clean_polygons(
    gdf: gpd.GeoDataFrame, report: LoadReport, id_column: str, keep: np.ndarray
) -> gpd.GeoDataFrame:
    """Reject rows without a polygon; repair invalid polygons with make_valid (noted)."""
    geoms = gdf.geometry.array
    missing = gdf.geometry.isna().to_numpy() | gdf.geometry.is_empty.to_numpy()
    for i in np.flatnonzero(missing & keep):
        report.reject(
            _row_label(i), "missing or empty geometry", field="geometry", id=gdf[id_column].iat[i]
        )
        keep[i] = False
    types = gdf.geometry.geom_type.to_numpy()
    not_polygon = ~np.isin(types, ["Polygon", "MultiPolygon"]) & ~missing
    for i in np.flatnonzero(not_polygon & keep):
        report.reject(
            _row_label(i),
            f"geometry is a {types[i]}, not a polygon",
            field="geometry",
            id=gdf[id_column].iat[i],
        )
        keep[i] = False
    # A NaN or inf vertex cannot be repaired (GEOS fails on it): the row is rejected.
    coords, owner = shapely.get_coordinates(np.asarray(geoms), return_index=True)
    nonfinite = np.zeros(len(gdf), dtype=bool)
    nonfinite[owner[~np.isfinite(coords).all(axis=1)]] = True
    for i in np.flatnonzero(nonfinite & keep):
        report.reject(
            _row_label(i),
            "vertex with a NaN or infinite coordinate",
            field="geometry",
            id=gdf[id_column].iat[i],
        )
        keep[i] = False
    invalid = ~shapely.is_valid(np.asarray(geoms)) & keep
    repaired = []
    if invalid.any():
        new = list(np.asarray(geoms))
        for i in np.flatnonzero(invalid):
            fixed = _polygonal(shapely.make_valid(new[i]))
            if fixed is None:
                report.reject(
                    _row_label(i),
                    "invalid geometry that cannot be repaired",
                    field="geometry",
                    id=gdf[id_column].iat[i],
                )
                keep[i] = False
            else:
                new[i] = fixed
                repaired.append(gdf[id_column].iat[i])
        gdf = gdf.set_geometry(gpd.GeoSeries(new, index=gdf.index, crs=gdf.crs))
    if repaired:
        report.notes["geometry_repaired"] = {"count": len(repaired), "ids": repaired}
    return gdf


def _unit_kind(value: Any) -> str | None:
    if isinstance(value, str):
        text = value.strip()
        if text in schema.UNIT_KINDS:
            return text
        if text.isdigit():
            return L1_TYPE_KINDS.get(int(text))
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if np.isnan(number) or not number.is_integer():
        return None
    return L1_TYPE_KINDS.get(int(number))


def load_classifier(path: str | PathLike[str]) -> pd.DataFrame:
    """Read the CSB ATVK2021 classifier export (``ATVK2021_<date>_<time>.csv``).

    Parameters
    ----------
    path
        The CSV as exported from the CSB classification system (UTF-8 with BOM; other
        encodings are detected and noted).

    Returns
    -------
    pandas.DataFrame
        Columns ``code`` (7-digit string), ``name``, ``valid_from``, ``valid_until``,
        ``change``, ``code_before``, ``code_after`` (7-digit strings or None), ``level``
        (int: 1 = state city or novads, 2 = town or parish inside a novads), plus any other
        columns of the file unchanged. Rows with a malformed code or level are rejected
        and listed in ``attrs["load_report"]``.

    Raises
    ------
    InputFileError
        If the file is missing, empty or unreadable.
    MissingColumnError
        If ``Kods``, ``Nosaukums``, ``Kods pirms izmaiņām`` or ``Līmenis`` is absent.
    """
    table = read_text_table(path, required=("Kods", "Nosaukums", "Kods pirms izmaiņām", "Līmenis"))
    report = LoadReport(source=str(path), read=len(table))
    if "encoding_note" in table.attrs:
        report.notes["encoding"] = table.attrs["encoding_note"]
    table = table.rename(columns={k: v for k, v in CLASSIFIER_FIELDS.items() if k in table.columns})
    for column in CLASSIFIER_FIELDS.values():
        if column not in table.columns:
            table[column] = None
    keep = np.ones(len(table), dtype=bool)
    for column in ("code", "code_before", "code_after"):
        table[column] = table[column].map(normalise_code)
    levels = pd.to_numeric(table["level"], errors="coerce")
    for i in range(len(table)):
        # Line numbers as in the file: line 1 is the header.
        line = i + 2
        code = table["code"].iat[i]
        if not is_valid_code(code):
            report.reject(line, f"not a 7-digit ATVK code: {code!r}", field="Kods", id=code)
            keep[i] = False
            continue
        for column, field in (
            ("code_before", "Kods pirms izmaiņām"),
            ("code_after", "Kods pēc izmaiņām"),
        ):
            other = table[column].iat[i]
            if pd.notna(other) and not is_valid_code(other):
                report.reject(line, f"not a 7-digit ATVK code: {other!r}", field=field, id=code)
                keep[i] = False
                break
        else:
            if not (levels.iat[i] in (1, 2)):
                report.reject(
                    line,
                    f"level must be 1 or 2, found {table['level'].iat[i]!r}",
                    field="Līmenis",
                    id=code,
                )
                keep[i] = False
    table = table[keep].copy()
    table["level"] = levels[keep].astype(int).to_numpy()
    table = table.reset_index(drop=True)
    report.notes["by_level"] = {
        int(k): int(v) for k, v in table["level"].value_counts().sort_index().items()
    }
    return attach(table, report)


def _classifier_frame(classifier: str | PathLike[str] | pd.DataFrame) -> pd.DataFrame:
    if isinstance(classifier, pd.DataFrame):
        if "code" not in classifier.columns and "Kods" in classifier.columns:
            classifier = classifier.rename(columns=CLASSIFIER_FIELDS)
        missing = [
            c for c in ("code", "name", "code_before", "level") if c not in classifier.columns
        ]
        if missing:
            raise MissingColumnError(
                None,
                f"classifier table lacks column(s) {', '.join(missing)}; load it with load_classifier",
            )
        return classifier
    return load_classifier(classifier)


def _municipality_index(in_force: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """Level-1 classifier rows (code, name) keyed by their code and by their 4-digit prefix.

    ATVK codes are hierarchical: digits 1–4 name the municipality (``0038231`` Varakļāni lies in
    ``0038…`` Madonas novads, coded ``0038001`` since 2024). A state city is its own municipality.
    A prefix shared by several level-1 rows is left out, as it names no single municipality.
    """
    level1 = in_force[in_force["level"] == 1]
    pairs = list(zip(level1["code"], level1["name"]))
    prefixes = pd.Series([c[:4] for c, _ in pairs])
    unique = set(prefixes[~prefixes.duplicated(keep=False)])
    index = {c[:4]: (c, n) for c, n in pairs if c[:4] in unique}
    index.update({c: (c, n) for c, n in pairs})
    return index


def _municipality_of(code: str, index: dict[str, tuple[str, str]]) -> tuple[str, str] | None:
    """The level-1 classifier row (code, name) a unit code belongs to (see _municipality_index)."""
    return index.get(code) or index.get(code[:4])


def _recode(
    units: gpd.GeoDataFrame, classifier: pd.DataFrame, report: LoadReport, recode: bool
) -> gpd.GeoDataFrame:
    """Check unit codes against the classifier; with ``recode`` map old codes to those in force."""
    valid_until = (
        classifier["valid_until"]
        if "valid_until" in classifier.columns
        else pd.Series(None, index=classifier.index)
    )
    in_force = classifier[valid_until.isna() | (valid_until.astype(str).str.strip() == "")]
    codes_in_force = set(in_force["code"])
    successors: dict[str, list[str]] = {}
    for new, old in zip(in_force["code"], in_force["code_before"]):
        if isinstance(old, str) and old not in codes_in_force:
            successors.setdefault(old, []).append(new)
    units = units.copy()
    if recode:
        units["unit_code_before"] = units["unit_code"]
    recoded: list[dict[str, str]] = []
    split: list[str] = []
    not_found: list[str] = []
    for i, code in enumerate(units["unit_code"]):
        if code in codes_in_force:
            continue
        new_codes = successors.get(code, [])
        if len(new_codes) == 1 and recode:
            units.iat[i, units.columns.get_loc("unit_code")] = new_codes[0]
            recoded.append(
                {"before": code, "after": new_codes[0], "name": units["unit_name"].iat[i]}
            )
        elif len(new_codes) > 1:
            # A unit that was split (Ādažu pagasts 0023400 -> Ādaži + Ādažu pagasts) has no single successor.
            split.append(code)
        else:
            not_found.append(code)
    if recode:
        municipality_changes: dict[str, str] = {}
        municipality_index = _municipality_index(in_force)
        for i, code in enumerate(units["unit_code"]):
            if code not in codes_in_force:
                continue
            parent = _municipality_of(code, municipality_index)
            if parent is None:
                continue
            old = units["municipality_code"].iat[i]
            if parent[0] != old:
                municipality_changes[old] = parent[0]
                units.iat[i, units.columns.get_loc("municipality_code")] = parent[0]
                units.iat[i, units.columns.get_loc("municipality_name")] = parent[1]
        report.notes["recoded_units"] = recoded
        report.notes["recoded_municipalities"] = [
            {"before": k, "after": v} for k, v in sorted(municipality_changes.items())
        ]
        if units["unit_code"].duplicated().any():
            dups = sorted(set(units.loc[units["unit_code"].duplicated(), "unit_code"]))
            raise InputFileError(
                report.source,
                f"recoding to the classifier gives duplicate unit codes: {', '.join(dups)}",
                field="unit_code",
            )
    if split:
        report.notes["split_units_not_recoded"] = split
    report.notes["not_in_classifier"] = not_found
    return units


def load_units(
    path: str | PathLike[str],
    *,
    classifier: str | PathLike[str] | pd.DataFrame | None = None,
    recode: bool = False,
) -> gpd.GeoDataFrame:
    """Load territorial units (state cities, towns, parishes) from the CSB boundary layer.

    Parameters
    ----------
    path
        The CSB ``Territorial_units_LV_1.2m_(<date>)`` layer as a folder, a ``.shp``, or the
        official ``.zip``; or any GeoPackage/GeoJSON holding either the CSB fields
        (``L1_code``, ``L1_name``, ``L1_type``, ``L0_code``, ``L0_name``) or the schema columns
        (``unit_code``, ``unit_name``, ``unit_kind``, ``municipality_code``, ``municipality_name``).
    classifier
        The ATVK2021 classifier (path or the frame from :func:`load_classifier`). When given,
        codes not in force are listed in the report (``notes["not_in_classifier"]``).
    recode
        Replace unit codes that the classifier has since changed by the codes in force
        ("Kods pirms izmaiņām" -> "Kods"), and set each unit's municipality to the one in force
        (e.g. the Varakļāni units move from Varakļānu novads 0055000 to Madonas novads 0038001).
        The original code stays in ``unit_code_before``; the recodings are listed in
        ``notes["recoded_units"]`` and ``notes["recoded_municipalities"]``.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``unit_code`` (7-digit ATVK, no ``LV``), ``unit_name``, ``unit_kind``
        (``state_city`` | ``town`` | ``parish``), ``municipality_code``, ``municipality_name``,
        ``own_municipality`` (bool: the unit is a municipality of its own, not part of a
        novads), ``geometry`` (+ ``unit_code_before`` when recoding), in EPSG:3059, sorted by
        ``unit_code``. ``attrs["load_report"]`` counts units by kind and municipalities and
        lists rejected rows.

    Notes
    -----
    ``unit_kind`` follows CSB's ``L1_type`` (1 = state city outside a novads, 6 = town,
    7 = parish), except that the state cities Jēkabpils, Ogre and Valmiera, which lie inside
    novadi and have type 6, are ``state_city`` as the law makes them
    (:data:`STATE_CITIES_IN_NOVADS`); ``own_municipality`` tells them from the seven state
    cities with their own local government. The 2024 layer has 10 state_city (7 of them their
    own municipality), 71 town and 511 parish units.

    Raises
    ------
    InputFileError
        Missing, empty or corrupt file; duplicate unit codes (naming the rows).
    MissingColumnError
        A required field is absent.
    CRSError
        The layer has no CRS (e.g. the ``.prj`` is missing). Any other CRS is transformed.
    """
    raw = read_vector(path, prefer="Territorial_units")
    if all(c in raw.columns for c in schema.UNIT_COLUMNS):
        fields = {c: c for c in schema.UNIT_COLUMNS if c != "geometry"}
    else:
        fields = _CSB_UNIT_FIELDS
        missing = [c for c in fields if c not in raw.columns]
        if missing:
            raise MissingColumnError(
                path,
                f"required field(s) {', '.join(missing)} missing (expected the CSB fields "
                f"{', '.join(fields)} or the columns {', '.join(schema.UNIT_COLUMNS[:-1])}); "
                f"found {', '.join(c for c in raw.columns if c != 'geometry')}",
                field=missing[0],
            )
    gdf = to_working_crs(raw, source=path)
    report = LoadReport(source=str(path), read=len(gdf))
    out = gpd.GeoDataFrame(
        {new: gdf[old].to_numpy() for old, new in fields.items()},
        geometry=gdf.geometry.to_numpy(),
        crs=gdf.crs,
    )
    field_of = {new: old for old, new in fields.items()}
    raw_codes = out[["unit_code", "municipality_code"]].copy()
    out["unit_code"] = out["unit_code"].map(normalise_code)
    out["municipality_code"] = out["municipality_code"].map(normalise_code)
    kinds = [_unit_kind(v) for v in out["unit_kind"]]
    keep = np.ones(len(out), dtype=bool)
    for i in range(len(out)):
        code = out["unit_code"].iat[i]
        if not is_valid_code(code):
            report.reject(
                _row_label(i),
                f"not a 7-digit ATVK code: {_plain(raw_codes['unit_code'].iat[i])!r}",
                field=field_of["unit_code"],
                id=_plain(raw_codes["unit_code"].iat[i]),
            )
            keep[i] = False
        elif not is_valid_code(out["municipality_code"].iat[i]):
            report.reject(
                _row_label(i),
                f"not a 7-digit ATVK code: {_plain(raw_codes['municipality_code'].iat[i])!r}",
                field=field_of["municipality_code"],
                id=code,
            )
            keep[i] = False
        elif kinds[i] is None:
            report.reject(
                _row_label(i),
                f"unknown unit type {_plain(out['unit_kind'].iat[i])!r} (expected 1, 6, 7 or {', '.join(schema.UNIT_KINDS)})",
                field=field_of["unit_kind"],
                id=code,
            )
            keep[i] = False
    out["unit_kind"] = [
        "state_city" if code in STATE_CITIES_IN_NOVADS and kind == "town" else kind
        for code, kind in zip(out["unit_code"], kinds, strict=True)
    ]
    duplicated = out["unit_code"].duplicated(keep=False).to_numpy() & keep
    if duplicated.any():
        rows = np.flatnonzero(duplicated)
        listing = "; ".join(f"{out['unit_code'].iat[i]} (row {_row_label(i)})" for i in rows[:10])
        raise InputFileError(
            path,
            f"{len(rows)} features share a unit code, so units cannot be told apart: {listing}",
            row=_row_label(rows[0]),
            field=field_of["unit_code"],
        )
    out = _clean_polygons(out, report, "unit_code", keep)
    out = out[keep]
    for column in ("unit_name", "municipality_name"):
        out[column] = out[column].astype(object).where(out[column].notna(), None)
    if classifier is not None:
        out = _recode(out, _classifier_frame(classifier), report, recode)
    elif recode:
        raise ValueError(
            "recode=True needs the classifier (pass classifier=path or load_classifier(path))"
        )
    # A unit that is its own municipality has the municipality's code (the 7 state cities
    # outside novadi); every other unit, state cities Jēkabpils, Ogre and Valmiera included,
    # lies in a novads.
    out["own_municipality"] = (out["unit_code"] == out["municipality_code"]).to_numpy(dtype=bool)
    columns = (
        list(schema.UNIT_COLUMNS[:-1])
        + ["own_municipality"]
        + (["unit_code_before"] if recode else [])
        + ["geometry"]
    )
    out = out[columns].sort_values("unit_code").reset_index(drop=True)
    out = gpd.GeoDataFrame(out, geometry="geometry", crs=settings.CRS)
    report.notes["by_kind"] = {k: int((out["unit_kind"] == k).sum()) for k in schema.UNIT_KINDS}
    report.notes["state_cities_in_novads"] = int(
        ((out["unit_kind"] == "state_city") & ~out["own_municipality"]).sum()
    )
    report.notes["municipalities"] = int(out["municipality_code"].nunique())
    return mark_checked(attach(out, report), "units")


def _name_key(name: Any) -> str:
    return " ".join(str(name).split()).casefold()


def _reference_codes(
    units: gpd.GeoDataFrame | None, classifier: str | PathLike[str] | pd.DataFrame | None
) -> tuple[dict[str, str], str]:
    """Municipality name -> code, from the units, the classifier or the built-in 2021 table."""
    if units is not None:
        pairs = units[["municipality_name", "municipality_code"]].drop_duplicates()
        return {
            _name_key(n): c for n, c in zip(pairs["municipality_name"], pairs["municipality_code"])
        }, "units"
    if classifier is not None:
        table = _classifier_frame(classifier)
        level1 = table[table["level"] == 1]
        return {_name_key(n): c for n, c in zip(level1["name"], level1["code"])}, "classifier"
    return {
        _name_key(n): c for n, c in MUNICIPALITY_CODES_2021.items()
    }, "built-in table of the 2021 municipalities"


def load_municipalities(
    path: str | PathLike[str],
    *,
    units: gpd.GeoDataFrame | None = None,
    classifier: str | PathLike[str] | pd.DataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Load municipality boundaries (7 state cities and the novadi).

    Parameters
    ----------
    path
        The VARAM ``Administrativas_teritorijas_2021`` layer (fields ``VEIDS``, ``NOSAUKUMS``,
        ``LABEL``) as a folder, ``.shp`` or ``.zip``; or a GeoPackage/GeoJSON with the schema
        columns ``municipality_code``, ``municipality_name``, ``municipality_kind``.
    units, classifier
        Where to look municipality codes up (see below).

    Returns
    -------
    geopandas.GeoDataFrame
        ``municipality_code``, ``municipality_name``, ``municipality_kind``
        (``state_city`` | ``novads``), ``geometry``, in EPSG:3059, sorted by code.

    Notes
    -----
    The VARAM layer has no code field, so codes are derived from the names: ``NOSAUKUMS``
    (e.g. "Alūksnes novads") and then ``LABEL`` (e.g. "Rīga" for "Rīgas pilsēta") are matched,
    ignoring case and repeated spaces, against the municipality names (``L0_name``) of
    ``units`` if given, else the level-1 names of ``classifier`` if given, else the built-in
    table :data:`MUNICIPALITY_CODES_2021` copied from the CSB layer. A name that matches
    nothing keeps a missing code and is listed in ``notes["unmatched_names"]``; for example
    Varakļānu novads is not in the classifier in force since 2024-06-30.
    """
    raw = read_vector(path, prefer="Administrativas_teritorijas")
    gdf = to_working_crs(raw, source=path)
    report = LoadReport(source=str(path), read=len(gdf))
    keep = np.ones(len(gdf), dtype=bool)
    if all(c in gdf.columns for c in schema.MUNICIPALITY_COLUMNS):
        out = gdf[list(schema.MUNICIPALITY_COLUMNS)].copy()
        out["municipality_code"] = out["municipality_code"].map(normalise_code)
        for i, code in enumerate(out["municipality_code"]):
            if not is_valid_code(code):
                report.reject(
                    _row_label(i),
                    f"not a 7-digit ATVK code: {code!r}",
                    field="municipality_code",
                    id=code,
                )
                keep[i] = False
            elif out["municipality_kind"].iat[i] not in ("state_city", "novads"):
                report.reject(
                    _row_label(i),
                    f"unknown municipality kind {out['municipality_kind'].iat[i]!r}",
                    field="municipality_kind",
                    id=code,
                )
                keep[i] = False
    else:
        missing = [c for c in ("VEIDS", "NOSAUKUMS") if c not in gdf.columns]
        if missing:
            raise MissingColumnError(
                path,
                f"required field(s) {', '.join(missing)} missing (expected the VARAM fields VEIDS, NOSAUKUMS, "
                f"LABEL or the columns {', '.join(schema.MUNICIPALITY_COLUMNS[:-1])})",
                field=missing[0],
            )
        lookup, looked_in = _reference_codes(units, classifier)
        labels = gdf["LABEL"] if "LABEL" in gdf.columns else pd.Series(None, index=gdf.index)
        codes: list[str | None] = []
        kinds: list[str | None] = []
        unmatched: list[str] = []
        for i, (kind, name, label) in enumerate(zip(gdf["VEIDS"], gdf["NOSAUKUMS"], labels)):
            kind_text = str(kind).strip().casefold() if kind is not None else ""
            kinds.append({"valstspilsēta": "state_city", "novads": "novads"}.get(kind_text))
            if kinds[-1] is None:
                report.reject(
                    _row_label(i),
                    f"unknown VEIDS {kind!r} (expected novads or valstspilsēta)",
                    field="VEIDS",
                    id=name,
                )
                keep[i] = False
            code = lookup.get(_name_key(name))
            if code is None and label is not None:
                code = lookup.get(_name_key(label))
            if code is None:
                unmatched.append(str(name))
            codes.append(code)
        out = gpd.GeoDataFrame(
            {
                "municipality_code": codes,
                "municipality_name": gdf["NOSAUKUMS"].to_numpy(),
                "municipality_kind": kinds,
            },
            geometry=gdf.geometry.to_numpy(),
            crs=gdf.crs,
        )
        report.notes["codes_from"] = looked_in
        report.notes["unmatched_names"] = unmatched
    out = _clean_polygons(out, report, "municipality_name", keep)
    out = out[keep]
    known = out["municipality_code"].dropna()
    if known.duplicated().any():
        raise InputFileError(
            path,
            f"several municipalities share a code: {', '.join(sorted(set(known[known.duplicated()])))}",
            field="municipality_code",
        )
    out = out.sort_values("municipality_code", na_position="last").reset_index(drop=True)
    out = gpd.GeoDataFrame(out, geometry="geometry", crs=settings.CRS)
    report.notes["by_kind"] = {
        k: int((out["municipality_kind"] == k).sum()) for k in ("state_city", "novads")
    }
    return mark_checked(attach(out, report), "municipalities")


def _point_ids(points: gpd.GeoDataFrame) -> pd.Series:
    for column in ("site_id", "stop_id", "id"):
        if column in points.columns:
            return points[column]
    return pd.Series(points.index, index=points.index)


def assign_units(points: gpd.GeoDataFrame, units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Add ``unit_code`` and ``municipality_code`` to points by the unit each lies in.

    Parameters
    ----------
    points
        Any point layer, in any CRS (sites, stops).
    units
        Territorial units as from :func:`load_units`, in any CRS.

    Returns
    -------
    geopandas.GeoDataFrame
        ``points`` in EPSG:3059 with ``unit_code`` and ``municipality_code`` (replacing
        columns of those names), same index and row order. Points outside every unit are kept
        with missing codes and counted in ``attrs["load_report"]["notes"]["outside_units"]``
        (``{"count": n, "ids": [...]}``, ids from ``site_id``/``stop_id`` or the index).

    Notes
    -----
    A point strictly inside a unit gets that unit ("within"). A point exactly on a shared
    border is inside neither, so it is given the touching unit with the smallest
    ``unit_code``, a fixed rule that keeps results reproducible; such points are counted in
    ``notes["on_border"]``. Points without geometry count as outside. An existing load report
    on ``points`` is kept and these notes are added to it.
    """
    points = to_working_crs(points, source="points")
    units = to_working_crs(units, source="units")
    missing = [c for c in ("unit_code", "municipality_code") if c not in units.columns]
    if missing:
        raise MissingColumnError(
            None, f"units lack column(s) {', '.join(missing)}", field=missing[0]
        )
    out = points.drop(
        columns=[c for c in ("unit_code", "municipality_code") if c in points.columns]
    ).copy()
    positions = np.arange(len(out))
    probe = gpd.GeoDataFrame({"_pos": positions}, geometry=out.geometry.to_numpy(), crs=out.crs)
    probe = probe[probe.geometry.notna() & ~probe.geometry.is_empty]
    polys = units[["unit_code", "geometry"]].reset_index(drop=True)

    def match(predicate: str, candidates: gpd.GeoDataFrame) -> pd.Series:
        joined = gpd.sjoin(candidates, polys, how="inner", predicate=predicate)
        # Deterministic choice when a point touches several units: the smallest code.
        return joined.sort_values("unit_code").groupby("_pos")["unit_code"].first()

    found = match("within", probe)
    rest = probe[~probe["_pos"].isin(found.index)]
    border = match("intersects", rest) if len(rest) else pd.Series(dtype=object)
    codes = pd.concat([found, border])
    unit_code = pd.Series([None] * len(out), dtype=object)
    unit_code.iloc[codes.index.to_numpy()] = codes.to_numpy()
    to_municipality = dict(zip(units["unit_code"], units["municipality_code"]))
    out["unit_code"] = unit_code.to_numpy()
    out["municipality_code"] = [
        to_municipality.get(c) if c is not None else None for c in unit_code
    ]
    outside = unit_code.isna().to_numpy()
    ids = _point_ids(out)
    notes = {
        "outside_units": {"count": int(outside.sum()), "ids": [_plain(v) for v in ids[outside]]},
        "on_border": {"count": len(border), "ids": [_plain(ids.iat[p]) for p in border.index]},
    }
    existing = points.attrs.get(ATTRS_KEY)
    if existing:
        merged = dict(existing)
        merged["notes"] = {**existing.get("notes", {}), **notes}
        attach_summary(out, merged)
    else:
        report = LoadReport(source="assign_units", read=len(out))
        report.notes.update(notes)
        attach(out, report)
    return out


def _plain(value: Any) -> Any:
    # numpy scalars are not JSON-serialisable; reports must be.
    return value.item() if isinstance(value, np.generic) else value


__all__ = [
    "L1_TYPE_KINDS",
    "MUNICIPALITY_CODES_2021",
    "assign_units",
    "is_valid_code",
    "load_classifier",
    "load_municipalities",
    "load_units",
    "normalise_code",
]
