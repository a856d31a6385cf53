"""accessibility: accessibility analysis and facility-location planning for Latvia's client service centres.

The package is laid out by layer, in the order data flows (see ARCHITECTURE.md): ``io`` (loaders and
writers) → ``network`` (walking distances) → ``coverage`` → ``planning`` → ``outputs`` (maps, report) →
``run`` (study files, the main job) and ``demo`` (the synthetic region), with ``cli`` on top.

Every public name below is importable from the package itself; the layer that defines it is imported
on first use, so ``import accessibility`` (and ``accessibility --help``) stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from . import settings
from ._errors import (
    AccessibilityError,
    CRSError,
    DataNotFoundError,
    DownloadError,
    InfeasibleError,
    InputFileError,
    MissingColumnError,
    NetworkError,
    StudyFileError,
)
from ._version import __version__

#: Where each public name is defined: module (relative to the package) -> names.
_LAZY: dict[str, tuple[str, ...]] = {
    "_loadreport": ("LoadReport", "get_report"),
    "projection": ("to_working_crs",),
    "io.datasets": ("available_datasets", "find_dataset", "resolve_data_dir"),
    "io.fetch": ("fetch",),
    "io.units": ("assign_units", "load_classifier", "load_municipalities", "load_units"),
    "io.population": ("load_population",),
    "io.stops": ("load_stops", "mark_intercity"),
    "io.sites": ("load_centres", "load_libraries"),
    "io.library_counts": ("library_completeness", "load_library_counts"),
    "network.walk": ("WalkFilter", "WalkNetwork", "walk_network"),
    "network.snapping": ("snap_points",),
    "network.distance": ("distance_matrix", "nearest", "within"),
    "network.service_areas": ("service_areas",),
    "coverage.demand": ("population_centres", "population_points"),
    "coverage.core": (
        "CoverageResult",
        "assess",
        "gaps",
        "proxy_sites",
        "stop_rule",
        "summary",
        "unit_coverage",
        "write_coverage",
    ),
    "planning": (
        "LocationResult",
        "UnitPlan",
        "build_candidates",
        "compare",
        "mclp",
        "p_center",
        "p_median",
        "p_median_heuristic",
        "plan_one_per_unit",
        "set_cover",
    ),
    "outputs.plot": (
        "plot_coverage_map",
        "plot_municipality_sheets",
        "save_figure",
    ),
    "outputs.sheets": ("write_municipality_sheets",),
    "outputs.webmap": ("interactive_map", "save_interactive_map"),
    "demo.region": ("load_region", "write_region"),
}
_WHERE: dict[str, str] = {name: module for module, names in _LAZY.items() for name in names}

__all__ = [
    "AccessibilityError",
    "CRSError",
    "CoverageResult",
    "DataNotFoundError",
    "DownloadError",
    "InfeasibleError",
    "InputFileError",
    "LoadReport",
    "LocationResult",
    "MissingColumnError",
    "NetworkError",
    "StudyFileError",
    "UnitPlan",
    "WalkFilter",
    "WalkNetwork",
    "__version__",
    "assess",
    "assign_units",
    "available_datasets",
    "build_candidates",
    "compare",
    "distance_matrix",
    "fetch",
    "find_dataset",
    "gaps",
    "get_report",
    "interactive_map",
    "library_completeness",
    "load_centres",
    "load_classifier",
    "load_libraries",
    "load_library_counts",
    "load_municipalities",
    "load_population",
    "load_region",
    "load_stops",
    "load_units",
    "mark_intercity",
    "mclp",
    "nearest",
    "p_center",
    "p_median",
    "p_median_heuristic",
    "plan_one_per_unit",
    "plot_coverage_map",
    "plot_municipality_sheets",
    "population_centres",
    "population_points",
    "proxy_sites",
    "resolve_data_dir",
    "save_figure",
    "save_interactive_map",
    "service_areas",
    "set_cover",
    "settings",
    "snap_points",
    "stop_rule",
    "summary",
    "to_working_crs",
    "unit_coverage",
    "walk_network",
    "within",
    "write_coverage",
    "write_municipality_sheets",
    "write_region",
]


def __getattr__(name: str) -> Any:
    """Import the layer that defines ``name`` on first use (PEP 562) and cache the value."""
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from ._loadreport import LoadReport, get_report
    from .coverage.core import (
        CoverageResult,
        assess,
        gaps,
        proxy_sites,
        stop_rule,
        summary,
        unit_coverage,
        write_coverage,
    )
    from .coverage.demand import population_centres, population_points
    from .demo.region import load_region, write_region
    from .io.datasets import available_datasets, find_dataset, resolve_data_dir
    from .io.fetch import fetch
    from .io.library_counts import library_completeness, load_library_counts
    from .io.population import load_population
    from .io.sites import load_centres, load_libraries
    from .io.stops import load_stops, mark_intercity
    from .io.units import assign_units, load_classifier, load_municipalities, load_units
    from .network.distance import distance_matrix, nearest, within
    from .network.service_areas import service_areas
    from .network.snapping import snap_points
    from .network.walk import WalkFilter, WalkNetwork, walk_network
    from .outputs.plot import (
        plot_coverage_map,
        plot_municipality_sheets,
        save_figure,
    )
    from .outputs.sheets import write_municipality_sheets
    from .outputs.webmap import interactive_map, save_interactive_map
    from .planning import (
        LocationResult,
        UnitPlan,
        build_candidates,
        compare,
        mclp,
        p_center,
        p_median,
        p_median_heuristic,
        plan_one_per_unit,
        set_cover,
    )
    from .projection import to_working_crs
