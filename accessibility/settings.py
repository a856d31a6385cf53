"""Global defaults: the working CRS, the stop rule, and where data is looked for."""

from __future__ import annotations

#: Working CRS of every layer and every distance: LKS-92 / Latvia TM, metres.
CRS: str = "EPSG:3059"
CRS_EPSG: int = 3059

#: CRS assumed for longitude/latitude columns when a table names none.
LONLAT_CRS: str = "EPSG:4326"

#: The ministry's rule of thumb: a centre within this walk (metres) of an intercity bus stop.
STOP_RULE_DISTANCE_M: float = 700.0

#: Default intercity rule: a four-digit ATD route number starting with 7 (e.g. 7937 Rīga–Liepāja).
#: This is an assumption drawn from press reports, not a statement of the ATD.
INTERCITY_ROUTE_PATTERN: str = r"7\d{3}"

#: Environment variable naming the folder that holds the real datasets.
DATA_DIR_ENV: str = "ACCESSIBILITY_DATA"

#: Bounding box of Latvia in longitude/latitude (west, south, east, north), with a small margin.
LATVIA_BOUNDS_LONLAT: tuple[float, float, float, float] = (20.8, 55.6, 28.3, 58.1)

#: Bounding box of Latvia in EPSG:3059 metres (west, south, east, north), with a small margin.
LATVIA_BOUNDS_3059: tuple[float, float, float, float] = (295_000.0, 160_000.0, 775_000.0, 450_000.0)
