"""Match Latvian addresses to address points: normalise, join, score, report what does not match.

An address such as ``"Uzvaras iela 1, Jaunjelgavas pilsēta, Aizkraukles nov., LV-5134"`` is
split into a street (or house name), a house number, a building part (``k-2``), the areas
named after it (town, parish, municipality) and a postcode. Both the addresses and the
register are normalised the same way (case, diacritics, abbreviations such as ``iel.``,
``nov.``, ``pag.``, ``k.2``), joined on street and number, and every candidate is scored.
Rows that match nothing, or several places equally well, are reported, never dropped.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .. import settings
from .._errors import InputFileError

#: Scores at or above this are matches; below it a row is reported as unmatched.
MIN_SCORE: float = 0.75

#: Candidates closer together than this (metres) are one place (the same address listed twice).
SAME_PLACE_METRES: float = 1.0

#: Street names at least this similar (difflib ratio) are tried when no street matches exactly.
FUZZY_CUTOFF: float = 0.8

#: Abbreviations written in addresses and the word they stand for (after case and diacritics
#: are removed). Street types first, then area types.
ABBREVIATIONS: dict[str, str] = {
    "iel": "iela",
    "ie": "iela",
    "bulv": "bulvaris",
    "bulvar": "bulvaris",
    "pr": "prospekts",
    "prosp": "prospekts",
    "sos": "soseja",
    "lauk": "laukums",
    "krastm": "krastmala",
    "nov": "novads",
    "pag": "pagasts",
    "pils": "pilseta",
    "c": "ciems",
}

#: Street type words: a street named without its type ("Brīvības 1") still matches, scored lower.
STREET_TYPES: frozenset[str] = frozenset(
    {
        "iela",
        "gatve",
        "bulvaris",
        "prospekts",
        "soseja",
        "laukums",
        "krastmala",
        "aleja",
        "dambis",
        "ceļs",
        "cels",
        "sķersiela",
        "skersiela",
        "laipa",
        "parks",
        "tilts",
    }
)

#: Area type words: what follows a street in a Latvian address.
AREA_TYPES: frozenset[str] = frozenset({"novads", "pagasts", "pilseta", "ciems", "valstspilseta"})

_POSTCODE = re.compile(r"\blv\s*-?\s*(\d{4})\b")
# House number with an optional letter, then an optional building part (k-2, k.2, k 2, korp. 2).
_NUMBER = re.compile(
    r"^(?P<street>.*?)\s*(?P<number>\d+(?:\s?(?!k\s*[-.]?\s*\d)[a-z](?![a-z]))?(?:/\d+)?)"
    r"(?:\s*(?:k|korp|korpuss)\s*[-.]?\s*(?P<part>\d+[a-z]?))?$"
)

#: Match statuses.
MATCHED, AMBIGUOUS, UNMATCHED = "matched", "ambiguous", "unmatched"


def normalise_text(values: pd.Series) -> pd.Series:
    """Lower case, no diacritics, abbreviations expanded, punctuation and spaces tidied."""
    text = values.fillna("").astype(str).str.lower()
    # Latvian letters by table (fast on a million rows); any other accented letter by Unicode
    # decomposition, row by row, only where one is left.
    text = text.str.translate(_LATVIAN_PLAIN)
    other = text.str.contains(r"[^\x00-\x7f]", regex=True).to_numpy(dtype=bool)
    if other.any():
        text = text.where(~other, text.map(_strip_diacritics))
    text = text.str.replace(r"[\"'«»“”„]", "", regex=True)
    # "Brīvības iela 100-2" is flat 2 of house 100: the flat is not an address point.
    text = text.str.replace(r"(\d[a-z]?)\s*-\s*\d+[a-z]?\b", r"\1", regex=True)
    # "1.līnija" and "1. līnija" are one street; "iel." and "iel" one abbreviation.
    text = text.str.replace(r"(?<=\d)\.\s*(?=[a-z])", ". ", regex=True)
    words = text.str.replace(r"([a-z]+)\.", r"\1 ", regex=True)
    # Expand abbreviations that were written with a dot or stand as a whole word.
    pattern = r"\b(" + "|".join(sorted(ABBREVIATIONS, key=len, reverse=True)) + r")\b(?=\s|,|$)"
    words = words.str.replace(pattern, lambda m: ABBREVIATIONS[m.group(1)], regex=True)
    return words.str.replace(r"\s+", " ", regex=True).str.strip()


_LATVIAN_PLAIN = str.maketrans("āčēģīķļņšūžōŗ", "acegiklnsuzor")


def _strip_diacritics(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def parse_addresses(addresses: Sequence[Any] | pd.Series) -> pd.DataFrame:
    """Split addresses into normalised components (vectorised).

    Parameters
    ----------
    addresses
        Address strings, e.g. ``"Uzvaras iela 1, Jaunjelgavas pilsēta, Aizkraukles nov.,
        LV-5134"`` or ``"Eksporta iela 15 k-42"``.

    Returns
    -------
    pandas.DataFrame
        Aligned with the input: ``street`` (normalised, type word kept), ``street_core``
        (without its type word), ``number`` (``"15a"``, empty for a named house), ``part``
        (building part, empty if none), ``areas`` (tuple of area name stems) and ``postcode``
        (``"LV-1045"`` or empty).
    """
    raw = pd.Series(addresses, dtype=object).reset_index(drop=True)
    text = normalise_text(raw)
    postcode = text.str.extract(_POSTCODE, expand=False)
    text = text.str.replace(_POSTCODE, "", regex=True)
    pieces = text.str.split(",")
    first = pieces.str[0].fillna("").str.strip()
    rest = pieces.str[1:]
    parsed = first.str.extract(_NUMBER)
    no_number = parsed["number"].isna()
    street = parsed["street"].where(~no_number, first).fillna("").str.strip()
    number = parsed["number"].fillna("").str.replace(" ", "", regex=False)
    part = parsed["part"].fillna("")
    # Street names and areas repeat across a register: work them out once per distinct value.
    core = street.map(_unique_map(street, _street_core))
    rest_text = rest.str.join(",").fillna("")
    areas = rest_text.map(_unique_map(rest_text, lambda t: _area_stems(t.split(",") if t else [])))
    return pd.DataFrame(
        {
            "street": street,
            "street_core": core,
            "number": number,
            "part": part,
            "areas": areas,
            "postcode": ("LV-" + postcode).fillna(""),
        }
    )


def _unique_map(values: pd.Series, function: Any) -> dict[Any, Any]:
    return {value: function(value) for value in pd.unique(values.to_numpy(dtype=object))}


def _street_core(street: str) -> str:
    words = street.replace(".", " ").split()
    if len(words) > 1 and words[-1] in STREET_TYPES:
        words = words[:-1]
    return " ".join(words)


def _area_stems(pieces: Any) -> tuple[str, ...]:
    """Stems of the area names (town, parish, municipality) in an address, type words dropped."""
    if not isinstance(pieces, list):
        return ()
    stems = []
    for piece in pieces:
        words = [w for w in piece.split() if w not in AREA_TYPES]
        if words:
            stems.append(_stem(" ".join(words)))
    return tuple(s for s in stems if s)


def _stem(name: str) -> str:
    # Latvian names change their ending with case ("Jaunjelgava", "Jaunjelgavas pilsēta",
    # "Cēsis", "Cēsu novads"): compare names without their last two letters.
    return name[:-2] if len(name) > 5 else name[:3]


def _areas_agree(query: tuple[str, ...], register: tuple[str, ...]) -> bool | None:
    """True when every area named in both agrees, None when either names none."""
    if not query or not register:
        return None
    return all(any(q.startswith(r) or r.startswith(q) for r in register) for q in query) or any(
        q.startswith(r) or r.startswith(q) for q in query for r in register
    )


def prepare_register(
    register: gpd.GeoDataFrame, *, address_column: str = "address"
) -> gpd.GeoDataFrame:
    """The register with its addresses parsed (done once; pass the result to several calls).

    Raises
    ------
    InputFileError
        If ``address_column`` is missing.
    """
    if "street_core" in register.columns and "number" in register.columns:
        return register
    if address_column not in register.columns:
        raise InputFileError(
            register.attrs.get("load_report", {}).get("source"),
            f"the address register has no column {address_column!r}",
            field=address_column,
        )
    frame = register.to_crs(settings.CRS) if register.crs is not None else register
    parsed = parse_addresses(frame[address_column].to_numpy())
    parsed.index = frame.index
    out = frame.join(parsed)
    out.attrs = dict(register.attrs)
    return out


def geocode(
    addresses: Sequence[Any] | pd.Series,
    register: gpd.GeoDataFrame,
    *,
    address_column: str = "address",
    min_score: float = MIN_SCORE,
) -> gpd.GeoDataFrame:
    """Match addresses to the points of an address register and score every match.

    Parameters
    ----------
    addresses
        Address strings (any capitalisation, diacritics or none, abbreviated or not).
    register
        Address points (any CRS) with a full address in ``address_column``, e.g. from
        :func:`accessibility.io.addresses.load_vzd_register` or
        :func:`accessibility.io.addresses.load_address_points`.
    address_column
        Column of ``register`` holding the address text.
    min_score
        Best candidates scoring below this are reported as unmatched.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per input address, in input order: ``input`` (as given), ``status``
        (``matched``, ``ambiguous`` or ``unmatched``), ``score`` (1.0 for an exact match of
        street, number, part and every area given; lower for a misspelt street, a missing
        street type, a disagreeing postcode or area), ``matched_address`` (the register's),
        ``candidates`` (register rows scoring as well as the best, at distinct places),
        ``reason`` (why a row is not matched) and ``geometry`` (EPSG:3059; empty unless
        matched).

    Notes
    -----
    A register row is a candidate when its street and number agree. The street is compared
    exactly (score 1), without its type word (0.95: "Brīvības 1" for "Brīvības iela 1"), by
    abbreviated first names ("Kr. Barona iela", 0.95), or by similarity (difflib ratio of at
    least :data:`FUZZY_CUTOFF`, score 0.9 × ratio). A building part written but different
    from the register's (or absent there) excludes the row; a part the address leaves out
    costs 0.1. A
    disagreeing postcode costs 0.1, disagreeing areas 0.3 (rows whose areas agree are
    preferred).
    """
    reg = prepare_register(register, address_column=address_column)
    query = parse_addresses(addresses)
    raw = pd.Series(addresses, dtype=object).reset_index(drop=True)
    n = len(query)
    reg_pos = pd.DataFrame(
        {
            "row": np.arange(len(reg)),
            "street": reg["street"].to_numpy(),
            "core": reg["street_core"].to_numpy(),
            "number": reg["number"].to_numpy(),
        }
    )
    # Exact street + number, then the street without its type word.
    q = pd.DataFrame(
        {
            "q": np.arange(n),
            "street": query["street"],
            "core": query["street_core"],
            "number": query["number"],
        }
    )
    exact = q.merge(reg_pos[["row", "street", "number"]], on=["street", "number"])
    exact["street_score"] = 1.0
    by_core = q.merge(reg_pos[["row", "core", "number"]], on=["core", "number"])
    by_core["street_score"] = 0.95
    pairs = pd.concat(
        [exact[["q", "row", "street_score"]], by_core[["q", "row", "street_score"]]]
    ).sort_values(["q", "row", "street_score"], ascending=[True, True, False])
    pairs = pairs.drop_duplicates(["q", "row"])
    found = np.zeros(n, dtype=bool)
    found[pairs["q"].to_numpy()] = True
    extra = _loose_street_pairs(query, reg_pos, np.flatnonzero(~found & (query["number"] != "")))
    if len(extra):
        pairs = pd.concat([pairs, extra], ignore_index=True)
    scored = _score_pairs(pairs, query, reg)
    return _pick(scored, query, raw, reg, address_column=address_column, min_score=min_score)


def _loose_street_pairs(
    query: pd.DataFrame, reg_pos: pd.DataFrame, todo: np.ndarray
) -> pd.DataFrame:
    """Candidates for rows whose street matched nothing: abbreviated names, then similar ones."""
    if not len(todo):
        return pd.DataFrame(columns=["q", "row", "street_score"])
    cores = reg_pos["core"].drop_duplicates().tolist()
    core_rows = reg_pos.groupby(["core", "number"])["row"].apply(list).to_dict()
    numbers_by_core = reg_pos.groupby("core")["number"].apply(set).to_dict()
    streets = reg_pos["street"].drop_duplicates().tolist()
    street_rows = reg_pos.groupby(["street", "number"])["row"].apply(list).to_dict()
    out: list[tuple[int, int, float]] = []
    for i in todo.tolist():
        core = query["street_core"].iat[i]
        number = query["number"].iat[i]
        words = core.split()
        if not words:
            continue
        hits: list[tuple[str, float]] = []
        if len(words) > 1:
            # "kr barona" for "krisjana barona": each short word a prefix of the register's.
            for candidate in cores:
                cand_words = candidate.split()
                if (
                    len(cand_words) == len(words)
                    and all(c.startswith(w) for w, c in zip(words, cand_words, strict=True))
                    and candidate != core
                ):
                    hits.append((candidate, 0.95))
        if not hits:
            close = difflib.get_close_matches(core, cores, n=5, cutoff=FUZZY_CUTOFF)
            hits = [
                (c, 0.9 * difflib.SequenceMatcher(None, core, c).ratio())
                for c in close
                if number in numbers_by_core.get(c, ())
            ]
        for candidate, score in hits:
            for row in core_rows.get((candidate, number), []):
                out.append((i, row, score))
        if not hits:
            # A misspelt street type ("prosekts") hides the core: compare whole street names.
            street = query["street"].iat[i]
            close = difflib.get_close_matches(street, streets, n=5, cutoff=FUZZY_CUTOFF)
            for candidate in close:
                score = 0.9 * difflib.SequenceMatcher(None, street, candidate).ratio()
                for row in street_rows.get((candidate, number), []):
                    out.append((i, row, score))
    return pd.DataFrame(out, columns=["q", "row", "street_score"])


def _score_pairs(pairs: pd.DataFrame, query: pd.DataFrame, reg: gpd.GeoDataFrame) -> pd.DataFrame:
    if not len(pairs):
        return pairs.assign(score=pd.Series(dtype=float), areas_ok=pd.Series(dtype=object))
    qi = pairs["q"].to_numpy()
    ri = pairs["row"].to_numpy()
    q_part = query["part"].to_numpy()[qi]
    r_part = reg["part"].to_numpy()[ri]
    # A part written is a different building from the house or another part of it.
    part_conflict = (q_part != "") & (q_part != r_part)
    part_missing = (q_part != r_part) & ~part_conflict
    q_post = query["postcode"].to_numpy()[qi]
    r_post = reg["postcode"].to_numpy()[ri]
    post_conflict = (q_post != "") & (r_post != "") & (q_post != r_post)
    q_areas = query["areas"].to_numpy()[qi]
    r_areas = reg["areas"].to_numpy()[ri]
    agree = np.array(
        [_areas_agree(a, b) for a, b in zip(q_areas, r_areas, strict=True)], dtype=object
    )
    score = (
        pairs["street_score"].to_numpy(dtype=float)
        - 0.1 * part_missing
        - 0.1 * post_conflict
        - 0.3 * (agree == False)
    )
    out = pairs.assign(score=np.round(score, 4), areas_ok=agree)
    return out.loc[~part_conflict]


def _pick(
    scored: pd.DataFrame,
    query: pd.DataFrame,
    raw: pd.Series,
    reg: gpd.GeoDataFrame,
    *,
    address_column: str,
    min_score: float,
) -> gpd.GeoDataFrame:
    n = len(query)
    status = np.full(n, UNMATCHED, dtype=object)
    score = np.zeros(n)
    matched = np.full(n, None, dtype=object)
    candidates = np.zeros(n, dtype=np.int64)
    reason = np.full(n, None, dtype=object)
    geometry = np.full(n, None, dtype=object)
    reg_geom = reg.geometry.to_numpy()
    reg_text = reg[address_column].to_numpy()
    reg_x = shapely.get_x(reg_geom)
    reg_y = shapely.get_y(reg_geom)
    if len(scored):
        best = scored.groupby("q")["score"].transform("max")
        top = scored.loc[scored["score"] >= best - 1e-9]
        for qi, group in top.groupby("q"):
            rows = group["row"].to_numpy()
            s = float(group["score"].iat[0])
            score[qi] = s
            # Candidates at one place (an address listed twice) count once.
            xy = np.stack([reg_x[rows], reg_y[rows]], axis=1)
            spread = float(np.max(np.ptp(xy, axis=0))) if len(rows) > 1 else 0.0
            distinct = 1 if spread <= SAME_PLACE_METRES else _distinct_places(xy)
            candidates[qi] = distinct
            matched[qi] = reg_text[rows[0]]
            if s < min_score:
                reason[qi] = f"best candidate scores {s:.2f}, below {min_score:.2f}"
            elif distinct > 1:
                status[qi] = AMBIGUOUS
                reason[qi] = f"{distinct} places match equally well (score {s:.2f})"
            else:
                status[qi] = MATCHED
                geometry[qi] = reg_geom[rows[0]]
    for i in np.flatnonzero(candidates == 0):
        reason[i] = _why_unmatched(query.iloc[i], reg)
    return gpd.GeoDataFrame(
        {
            "input": raw.to_numpy(),
            "status": status,
            "score": score,
            "matched_address": matched,
            "candidates": candidates,
            "reason": reason,
        },
        geometry=gpd.GeoSeries(geometry, crs=settings.CRS).to_numpy(),
        crs=settings.CRS,
    )


def _distinct_places(xy: np.ndarray) -> int:
    keys = np.round(xy / SAME_PLACE_METRES).astype(np.int64)
    return len(np.unique(keys, axis=0))


def _why_unmatched(row: pd.Series, reg: gpd.GeoDataFrame) -> str:
    if not row["street"]:
        return "no street or house name in the address"
    if not row["number"]:
        if (reg["street"] == row["street"]).any():
            return "a house name shared by no register row with these areas"
        return "no register address has this house name"
    if (reg["street_core"] == row["street_core"]).any():
        return f"the street has no number {row['number']}" + (
            f" k-{row['part']}" if row["part"] else ""
        )
    return "no register street matches"


def match_summary(result: gpd.GeoDataFrame) -> dict[str, Any]:
    """Counts by status and the score range of the matches, for a load report."""
    counts = result["status"].value_counts()
    matched = result.loc[result["status"] == MATCHED, "score"]
    return {
        "addresses": len(result),
        "matched": int(counts.get(MATCHED, 0)),
        "ambiguous": int(counts.get(AMBIGUOUS, 0)),
        "unmatched": int(counts.get(UNMATCHED, 0)),
        "exact": int((matched >= 1.0).sum()),
        "min_score_matched": float(matched.min()) if len(matched) else None,
    }
