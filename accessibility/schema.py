"""Column names of every layer the loaders return; one place so that all modules agree."""

from __future__ import annotations

#: Territorial units (state cities, towns, parishes).
UNIT_COLUMNS: tuple[str, ...] = (
    "unit_code",
    "unit_name",
    "unit_kind",
    "municipality_code",
    "municipality_name",
    "geometry",
)
#: Values of ``unit_kind``.
UNIT_KINDS: tuple[str, ...] = ("state_city", "town", "parish")

#: Municipalities (7 state cities and the novadi).
MUNICIPALITY_COLUMNS: tuple[str, ...] = (
    "municipality_code",
    "municipality_name",
    "municipality_kind",
    "geometry",
)

#: Population per unit and year.
POPULATION_COLUMNS: tuple[str, ...] = ("unit_code", "unit_name", "year", "population")

#: Bus stops.
STOP_COLUMNS: tuple[str, ...] = ("stop_id", "stop_name", "routes", "mode", "intercity", "geometry")

#: Sites: libraries, existing centres, candidates.
SITE_COLUMNS: tuple[str, ...] = ("site_id", "name", "kind", "geometry")
