"""Geocoding: Latvian address normalisation, matching and scoring, on made-up and real Rīga points."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from accessibility import load_centres, load_libraries
from accessibility._errors import InputFileError
from accessibility.io.addresses import load_address_points, load_vzd_register
from accessibility.io.geocode import geocode, match_summary, parse_addresses


def _register(rows: list[tuple[str, float, float]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"address": [r[0] for r in rows]},
        geometry=shapely.points([r[1] for r in rows], [r[2] for r in rows]),
        crs=3059,
    )


MADE_UP = _register(
    [
        ("Uzvaras iela 1, Jaunjelgava, Aizkraukles nov., LV-5134", 580000.0, 270000.0),
        ("Uzvaras iela 1, Bauska, Bauskas nov., LV-3901", 520000.0, 260000.0),
        ("Brīvības iela 100, Rīga, LV-1001", 508000.0, 313000.0),
        ("Brīvības iela 100 k-2, Rīga, LV-1001", 508050.0, 313000.0),
        ("Krišjāņa Barona iela 78F, Rīga, LV-1001", 507000.0, 312000.0),
        ("Kalnāji, Rubenes pag., Kocēnu nov., LV-4220", 560000.0, 380000.0),
        ("Kalnāji, Vecpiebalgas pag., Cēsu nov., LV-4122", 600000.0, 330000.0),
    ]
)


def test_parse_expands_abbreviations_and_building_parts() -> None:
    parsed = parse_addresses(
        [
            "UZVARAS IEL. 1, Jaunjelgavas pilsēta, Aizkraukles nov., LV-5134",
            "Brīvības iela 100 K.2",
            "brivibas 100-5, Riga",
        ]
    )
    assert parsed["street"].tolist() == ["uzvaras iela", "brivibas iela", "brivibas"]
    assert parsed["number"].tolist() == ["1", "100", "100"]  # flat 5 is not an address point
    assert parsed["part"].tolist() == ["", "2", ""]
    assert parsed["postcode"].tolist() == ["LV-5134", "", ""]


def test_town_and_postcode_disambiguate_a_street_found_in_two_towns() -> None:
    result = geocode(
        [
            "Uzvaras iela 1, Jaunjelgavas pilsēta, Aizkraukles nov., LV-5134",
            "uzvaras iela 1, bauska",
            "Uzvaras iela 1",
        ],
        MADE_UP,
    )
    assert result["status"].tolist() == ["matched", "matched", "ambiguous"]
    assert result.geometry.iloc[0].x == 580000.0
    assert result.geometry.iloc[1].x == 520000.0
    assert result["candidates"].iat[2] == 2
    assert result.geometry.iloc[2] is None


def test_building_part_abbreviated_first_name_and_house_name() -> None:
    result = geocode(
        [
            "Brīvības iela 100 k-2, Rīga",
            "Kr. Barona iela 78 F, Rīga",
            "Kalnāji, Rubenes pagasts, Kocēnu novads",
        ],
        MADE_UP,
    )
    assert result["status"].tolist() == ["matched"] * 3
    assert result.geometry.iloc[0].x == 508050.0
    assert result.geometry.iloc[1].x == 507000.0
    assert result.geometry.iloc[2].x == 560000.0
    assert result["score"].iat[0] == 1.0
    assert 0.9 <= result["score"].iat[1] < 1.0


def test_wrong_part_and_unknown_street_are_reported_not_dropped() -> None:
    result = geocode(
        ["Brīvības iela 100 k-9, Rīga", "Nekurienes iela 5", "", "Brīvības iela 7"], MADE_UP
    )
    assert len(result) == 4
    assert (result["status"] == "unmatched").all()
    assert result["reason"].tolist()[1] == "no register street matches"
    assert "no number 7" in result["reason"].iat[3]
    assert match_summary(result)["unmatched"] == 4


# ----------------------------------------------------------------------------- real Rīga points


@pytest.fixture(scope="module")
def riga(real_data: Path) -> gpd.GeoDataFrame:
    return load_address_points(real_data / "riga_address_points" / "adreses.shp", locality="Rīga")


def test_riga_points_load_with_their_encoding(riga: gpd.GeoDataFrame) -> None:
    report = riga.attrs["load_report"]
    assert report["read"] == 48_121 and report["loaded"] == 48_121
    assert riga.crs.to_epsg() == 3059
    # Diacritics come through the ISO-8859-13 .cpg, not as mojibake.
    assert riga["address"].str.contains("ū").any()


def _rewrite(address: str, k: int) -> str:
    """The ways people write an address: capitals, no diacritics, abbreviations, the town."""
    import unicodedata

    plain = "".join(
        c for c in unicodedata.normalize("NFKD", address) if not unicodedata.combining(c)
    )
    forms = [
        address.upper() + ", LV-1050",
        plain.replace(" iela ", " iel. "),
        address.replace(" k-", " k.") + ", Rīgas pilsēta",
        plain.lower().replace(" iela ", " ") + ", riga",
    ]
    return forms[k % len(forms)]


def test_rewritten_riga_addresses_match_back_within_a_metre(riga: gpd.GeoDataFrame) -> None:
    unique = riga.drop_duplicates("adrese", keep=False)
    sample = unique.sample(3000, random_state=7).reset_index(drop=True)
    original = sample["adrese"].tolist()
    queries = [_rewrite(a, k) for k, a in enumerate(original)]
    result = geocode(queries, riga)
    matched = result["status"] == "matched"
    assert matched.mean() > 0.99, result.loc[~matched, ["input", "reason"]].head(10)
    distance = result.geometry[matched].distance(gpd.GeoSeries(sample.geometry, crs=3059)[matched])
    assert (distance <= 1.0).all()
    # Dropping the street type ("Pūku 14") costs a little; the other rewrites are exact.
    dropped = (np.arange(len(queries)) % 4 == 3) & sample["adrese"].str.contains(
        " iela "
    ).to_numpy()
    assert (result["score"][matched & ~dropped] == 1.0).mean() > 0.99
    assert (result["score"][matched & dropped] < 1.0).all()


def _drop_letter(address: str, street: str) -> str:
    """The address with one letter dropped from the middle of the longest word of its street."""
    word = max(street.split(), key=len)
    start = address.index(word)
    i = start + len(word) // 2
    return address[:i] + address[i + 1 :]


def test_misspelt_riga_streets_score_lower_and_nonexistent_are_reported(
    riga: gpd.GeoDataFrame,
) -> None:
    unique = riga.drop_duplicates("adrese", keep=False)
    sample = unique[unique["iela"].str.len() > 9].sample(300, random_state=3)
    misspelt = [_drop_letter(a, s) for a, s in zip(sample["adrese"], sample["iela"], strict=True)]
    result = geocode(misspelt, riga)
    found = result["status"] == "matched"
    assert found.mean() > 0.8
    hit = result.geometry[found].distance(gpd.GeoSeries(sample.geometry.values, crs=3059)[found])
    assert (hit <= 1.0).mean() > 0.95
    # Back at the right place, a misspelt street always scores below an exact one (a few
    # misspellings are the exact name of another street: those score 1 elsewhere).
    back = hit.index[hit <= 1.0]
    assert (result.loc[back, "score"] < 1.0).all()
    assert (result.loc[found, "score"] >= 0.75).all()

    nonexistent = ["Neesošā iela 12, Rīga", "Pūku iela 9999", "Eksporta iela 15 k-999", "Rīga"]
    result = geocode(nonexistent, riga)
    assert (result["status"] == "unmatched").all()
    assert result["geometry"].isna().all()
    assert result["reason"].iat[0] == "no register street matches"
    assert "no number 9999" in result["reason"].iat[1]


def test_load_centres_geocodes_on_load(riga: gpd.GeoDataFrame, tmp_path: Path) -> None:
    picks = riga.drop_duplicates("adrese", keep=False).sample(5, random_state=1)
    table = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d", "e", "f"],
            "name": list("ABCDEF"),
            "adrese": [a.upper() + ", Rīga" for a in picks["adrese"]] + ["Neesošā iela 1, Rīga"],
        }
    )
    path = tmp_path / "centres.csv"
    table.to_csv(path, index=False)
    centres = load_centres(path, address_column="adrese", register=riga)
    report = centres.attrs["load_report"]
    assert report["loaded"] == 5 and report["rejected"] == 1
    assert report["rejected_rows"][0]["row"] == 7
    assert report["notes"]["geocoding"]["matched"] == 5
    assert centres["site_id"].tolist() == ["a", "b", "c", "d", "e"]
    assert (centres.geometry.distance(gpd.GeoSeries(picks.geometry.values, crs=3059)) < 1).all()
    libraries = load_libraries(path, address_column="adrese", register=riga)
    assert (libraries["kind"] == "library").all()
    with pytest.raises(InputFileError, match="register"):
        load_centres(path, address_column="adrese")


def test_vzd_register_format(tmp_path: Path) -> None:
    header = "#KODS#;#TIPS_CD#;#STATUSS#;#VKUR_CD#;#STD#;#ATRIB#;#KOORD_X#;#KOORD_Y#;#DD_N#;#DD_E#"
    lines = [
        header,
        (
            "#101#;#108#;#EKS#;#1#;#Uzvaras iela 1, Jaunjelgava, Aizkraukles nov., LV-5134#;"
            "#LV-5134#;#270000.00#;#580000.00#;#56.613#;#25.086#"
        ),
        (
            "#102#;#108#;#DEL#;#1#;#Uzvaras iela 3, Jaunjelgava, Aizkraukles nov., LV-5134#;"
            "#LV-5134#;##;##;##;##"
        ),
        (
            "#103#;#108#;#EKS#;#1#;#Uzvaras iela 5, Jaunjelgava, Aizkraukles nov., LV-5134#;"
            "#LV-5134#;##;##;##;##"
        ),
    ]
    path = tmp_path / "AW_EKA.CSV"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    register = load_vzd_register(path)
    report = register.attrs["load_report"]
    assert report["read"] == 3 and report["loaded"] == 1
    assert sorted(r["field"] for r in report["rejected_rows"]) == ["DD_E/DD_N", "STATUSS"]
    point = register.geometry.iloc[0]
    # 25.086 E, 56.613 N in LKS-92 / Latvia TM, checked against pyproj.
    from pyproj import Transformer

    x, y = Transformer.from_crs(4326, 3059, always_xy=True).transform(25.086, 56.613)
    assert abs(point.x - x) < 0.01 and abs(point.y - y) < 0.01
    result = geocode(["Uzvaras 1, Jaunjelgavas pilsēta, Aizkraukles novads"], register)
    assert result["status"].iat[0] == "matched"
