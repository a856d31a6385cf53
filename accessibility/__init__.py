"""accessibility: accessibility analysis and facility-location planning for Latvia's client service centres."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

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
from ._loadreport import LoadReport, get_report
from .projection import to_working_crs

try:
    __version__ = version("accessibility")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

# The public API: loaders, distance core, coverage, planning, maps.
from .coverage import (
    CoverageResult,
    assess,
    gaps,
    proxy_sites,
    stop_rule,
    summary,
    unit_coverage,
    write_coverage,
)
from .datasets import available_datasets, fetch, find_dataset, resolve_data_dir
from .demand import population_centres, population_points
from .distance import distance_matrix, nearest, within
from .library_counts import library_completeness, load_library_counts
from .network import WalkFilter, WalkNetwork, walk_network
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
from .plot import (
    plot_coverage_map,
    plot_municipality_sheets,
    save_figure,
    write_municipality_sheets,
)
from .population import load_population
from .service_areas import service_areas
from .sites import load_centres, load_libraries
from .snapping import snap_points
from .stops import load_stops, mark_intercity
from .synthetic import load_region, write_region
from .units import assign_units, load_classifier, load_municipalities, load_units
from .webmap import interactive_map, save_interactive_map

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
