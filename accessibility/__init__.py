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

# Public API of the loaders, the distance core, coverage and planning (added module by module).
# [loaders: units, municipalities, population, assign_units]
from .population import load_population
from .units import assign_units, load_classifier, load_municipalities, load_units
# [loaders: stops, libraries, centres]
from .sites import load_centres, load_libraries
from .stops import load_stops, mark_intercity
# [data folder, downloads, synthetic region]
from .datasets import available_datasets, fetch, find_dataset, resolve_data_dir
from .synthetic import load_region, write_region
# [distance core]
from .distance import distance_matrix, nearest, within
from .network import WalkFilter, WalkNetwork, walk_network
from .service_areas import service_areas
from .snapping import snap_points
# [coverage]
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
from .demand import population_centres, population_points
# [planning]
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
# [maps, interactive map, report]
from .plot import plot_coverage_map, plot_municipality_sheets, save_figure, write_municipality_sheets
from .webmap import interactive_map, save_interactive_map
