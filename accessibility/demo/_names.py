"""Names, codes, seeds and fixed values of the synthetic region (all fictional)."""

from __future__ import annotations

from datetime import datetime

#: Seed of the default region; the same seed always gives byte-identical files.
DEFAULT_SEED: int = 2024


#: South-west corner of the region in EPSG:3059 (central Vidzeme), metres.
ORIGIN: tuple[float, float] = (555_000.0, 295_000.0)


#: Fixed timestamp written into every file format that stores one (xlsx, zip, dbf, gpkg).
FIXED_TIMESTAMP: datetime = datetime(2024, 1, 2, 0, 0, 0)


#: File names written by :func:`write_region`, keyed like :mod:`accessibility.io.datasets`.
FILE_NAMES: dict[str, str] = {
    "units": "Territorial_units_LV_1.2m_(synthetic).shp",
    "municipalities": "Administrativas_teritorijas_2021.shp",
    "population": "raditaju_atlase_aprobacija.xlsx",
    "stops": "gtfs_atd.csv",
    "stops_gtfs": "gtfs-latvia-lv.zip",
    "libraries": "libraries.csv",
    "centres": "centres.csv",
    "streets": "streets.gpkg",
    "manifest": "synthetic_manifest.json",
}


POPULATION_SHEET = "Iedzīvotāju skaits (skaits, PML"


POPULATION_YEARS: tuple[int, ...] = tuple(range(2011, 2025))


PLANNING_REGION = "Vidzemes plānošanas reģions"


# Fictional names (none is a real Latvian unit): (parish name, its village).
_PARISHES: tuple[tuple[str, str], ...] = (
    ("Ābelītes pagasts", "Ābelīte"),
    ("Bebrupes pagasts", "Bebrupe"),
    ("Cīrulīšu pagasts", "Cīrulīši"),
    ("Dzērvenes pagasts", "Dzērvene"),
    ("Egļuciema pagasts", "Egļuciems"),
    ("Gaiļmuižas pagasts", "Gaiļmuiža"),
    ("Griķu pagasts", "Griķi"),
    ("Ievlejas pagasts", "Ievleja"),
    ("Jāņkalna pagasts", "Jāņkalns"),
    ("Ķiršukalna pagasts", "Ķiršukalns"),
    ("Lazdiņu pagasts", "Lazdiņi"),
    ("Liepsalas pagasts", "Liepsala"),
    ("Mežmalas pagasts", "Mežmala"),
    ("Ozolkrasta pagasts", "Ozolkrasts"),
    ("Pūpolu pagasts", "Pūpoli"),
    ("Rudzupes pagasts", "Rudzupe"),
    ("Sūnezera pagasts", "Sūnezers"),
    ("Šķērsupes pagasts", "Šķērsupe"),
    ("Vītolu pagasts", "Vītoli"),
    ("Zaķumuižas pagasts", "Zaķumuiža"),
)


_TOWNS: tuple[str, ...] = ("Strautmala", "Vējupe")


_CITY = "Ozolpils"


_NOVADS = "Lejaskalna novads"


_CITY_CODE = "0008000"


_NOVADS_CODE = "0060000"


_CITY_STREETS: tuple[str, ...] = (
    "Tirgus laukums",
    "Skolas iela",
    "Slimnīca",
    "Dzirnavu iela",
    "Stacijas iela",
    "Ezera iela",
)


# Roadside stops are named after farmsteads, as in the ATD table; one name holds a quote character.
_FARMS: tuple[str, ...] = (
    "Kalnieši",
    "Lejnieki",
    "Ozoli",
    "Priedes",
    "Bērziņi",
    '"Rūķi"',
    "Avotiņi",
    "Krustceles",
    "Dzirnavas",
    "Purmaļi",
    "Vecsētas",
    "Ceļmalas",
    "Silmalas",
    "Ķēniņi",
    "Jaunzemji",
    "Ūdriņi",
    "Strēlnieki",
    "Grantiņi",
    "Mežsargi",
    "Ērgļi",
    "Sīļi",
    "Zemītes",
    "Pļavnieki",
    "Rozītes",
    "Mālkalni",
    "Dumbrāji",
    "Upenieki",
    "Ģēģeri",
    "Lāčplēši",
    "Smilgas",
    "Ābeļdārzs",
    "Veckrogs",
    "Skujiņas",
    "Baltkrogs",
    "Muižnieki",
    "Tiltiņi",
    "Ceriņi",
    "Liepkalni",
    "Kārkliņi",
    "Āres",
    "Silnieki",
    "Vējiņi",
    "Ķiploki",
    "Pērkoni",
    "Šalkas",
    "Zīlītes",
    "Gobas",
    "Lauciņi",
)


Node = tuple[float, float]


#: A street segment: end nodes, OSM-like highway class, road number, vertices.
Segment = tuple[Node, Node, str, str, list[Node]]


#: The ATD stop table lists at most this many routes per stop (then "…").
_LISTED_ROUTES = 12


# Ozolkrasta pagasts has no library of its own (its readers use the town's).
_PARISHES_WITHOUT_LIBRARY: tuple[int, ...] = (13,)
