"""The ``accessibility`` command: demo, fetch and datasets (more subcommands plug into COMMANDS)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import geopandas as gpd
import numpy as np
from pyproj import Transformer

from . import __version__, io, settings
from ._errors import AccessibilityError
from ._loadreport import get_report

logger = logging.getLogger(__name__)

#: Exit status of a run stopped by a user mistake (bad argument, missing file, bad input).
USAGE_ERROR = 2


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message} (see --help)\n")


# --------------------------------------------------------------------------- demo


def _add_demo(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("demo-output"),
        help="folder for the outputs (default: demo-output)",
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="seed of the synthetic region (default: built-in)"
    )


def run_demo(args: argparse.Namespace) -> int:
    """Write the synthetic region, load it through the loaders and summarise every layer."""
    from . import synthetic

    out: Path = args.out
    seed = synthetic.DEFAULT_SEED if args.seed is None else args.seed
    region_dir = out / "region"
    files = synthetic.write_region(region_dir, seed=seed)
    layers = synthetic.load_region(region_dir, seed=seed)
    summary = summarise_layers(layers)
    summary["region_files"] = {key: str(path) for key, path in files.items()}
    json_path = io.write_json(out / "summary.json", summary)
    md_path = io.write_text(out / "summary.md", summary_markdown(summary))
    print(summary_markdown(summary), end="")
    print("\nWrote:")
    for path in [*files.values(), json_path, md_path]:
        print(f"  {path}")
    return 0


def summarise_layers(layers: dict[str, Any]) -> dict[str, Any]:
    """Counts, kinds, totals, CRS and bounds of loaded layers, with their load reports.

    Parameters
    ----------
    layers
        As returned by :func:`accessibility.synthetic.load_region` (any subset of ``units``,
        ``municipalities``, ``population``, ``stops``, ``libraries``, ``centres``, ``streets``).

    Returns
    -------
    dict
        JSON-ready summary.
    """
    summary: dict[str, Any] = {"crs": settings.CRS, "layers": {}}
    for name, layer in layers.items():
        if not hasattr(layer, "columns"):
            continue
        entry: dict[str, Any] = {"rows": len(layer)}
        for column in ("unit_kind", "municipality_kind", "kind", "mode", "highway"):
            if column in layer.columns:
                entry[f"by_{column}"] = {
                    str(k): int(v) for k, v in layer[column].value_counts().sort_index().items()
                }
        if name == "population":
            for year, group in layer.groupby("year"):
                entry.setdefault("total_by_year", {})[str(year)] = int(group["population"].sum())
        if name == "stops" and "intercity" in layer.columns:
            entry["intercity"] = int(layer["intercity"].sum())
            if "routes_truncated" in layer.columns:
                entry["routes_truncated"] = int(layer["routes_truncated"].sum())
        if isinstance(layer, gpd.GeoDataFrame) and len(layer):
            entry["crs"] = layer.crs.to_string() if layer.crs is not None else None
            entry["bounds"] = [round(float(v), 1) for v in layer.total_bounds]
            if name == "streets":
                entry["length_km"] = round(float(layer.length.sum()) / 1000.0, 3)
        report = get_report(layer)
        if report:
            entry["load_report"] = {k: v for k, v in report.items() if k != "rejected_rows"}
        summary["layers"][name] = entry
    units = layers.get("units")
    if isinstance(units, gpd.GeoDataFrame) and len(units):
        west, south, east, north = units.total_bounds
        to_lonlat = Transformer.from_crs(settings.CRS, settings.LONLAT_CRS, always_xy=True)
        lon, lat = to_lonlat.transform(np.array([west, east]), np.array([south, north]))
        summary["bounds_lonlat"] = [
            round(float(lon[0]), 5),
            round(float(lat[0]), 5),
            round(float(lon[1]), 5),
            round(float(lat[1]), 5),
        ]
    return summary


def summary_markdown(summary: dict[str, Any]) -> str:
    """The summary as a short Markdown report."""
    lines = ["# Synthetic region: layer summary", "", f"Working CRS: {summary['crs']}", ""]
    if "bounds_lonlat" in summary:
        w, s, e, n = summary["bounds_lonlat"]
        lines += [f"Extent: longitude {w}–{e}, latitude {s}–{n}", ""]
    lines += ["| layer | rows | details |", "|---|---:|---|"]
    for name, entry in summary["layers"].items():
        details = []
        for key, value in entry.items():
            if key.startswith("by_"):
                details.append(", ".join(f"{k} {v}" for k, v in value.items()))
        if "total_by_year" in entry:
            details.append(
                "population " + ", ".join(f"{y}: {v:,}" for y, v in entry["total_by_year"].items())
            )
        if "intercity" in entry:
            details.append(f"intercity {entry['intercity']}")
        if "routes_truncated" in entry:
            details.append(f"route list cut {entry['routes_truncated']}")
        if "length_km" in entry:
            details.append(f"{entry['length_km']} km")
        rejected = entry.get("load_report", {}).get("rejected")
        if rejected:
            details.append(f"rejected {rejected}")
        lines.append(f"| {name} | {entry['rows']:,} | {'; '.join(details)} |")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- fetch and datasets


def _add_fetch(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dataset",
        action="append",
        metavar="KEY",
        help="dataset to download (repeatable; default: all downloadable)",
    )
    parser.add_argument(
        "--dest", type=Path, default=None, help="download folder (default: the per-user cache)"
    )
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds to wait for a connection (default: 10)"
    )


def run_fetch(args: argparse.Namespace) -> int:
    """Download datasets with a direct download address."""
    from .datasets import fetch

    paths = fetch(args.dataset, args.dest, timeout=args.timeout)
    for key, path in paths.items():
        print(f"{key}: {path}")
    return 0


def _add_datasets(parser: argparse.ArgumentParser) -> None:
    del parser  # no options of its own: it uses the global --data-dir


def run_datasets(args: argparse.Namespace) -> int:
    """List which catalogue datasets the data folder holds and how to get the missing ones."""
    from .datasets import available_datasets

    table = available_datasets(args.data_dir)
    for row in table.itertuples():
        if row.found:
            print(f"[found]   {row.key}: {row.path}")
        else:
            print(f"[missing] {row.key}: {row.message}")
    return 0


#: Subcommands: name -> (help, add arguments, run). New subcommands register here.
COMMANDS: dict[
    str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]
] = {
    "demo": ("build the synthetic region and summarise it", _add_demo, run_demo),
    "fetch": ("download the datasets that have a direct download", _add_fetch, run_fetch),
    "datasets": (
        "list the datasets found in the data folder and the missing ones",
        _add_datasets,
        run_datasets,
    ),
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand of :data:`COMMANDS`."""
    parser = _Parser(
        prog="accessibility",
        description="Accessibility analysis and facility-location planning for Latvia's client service centres.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help=f"folder holding the official datasets (default: ${settings.DATA_DIR_ENV}); "
        "files are found by their official names anywhere under it",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log what is being done")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name, (help_text, add_arguments, _) in COMMANDS.items():
        add_arguments(sub.add_parser(name, help=help_text, description=help_text))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; user mistakes end with one line on stderr and exit status 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s"
    )
    _, _, run = COMMANDS[args.command]
    try:
        return run(args)
    except (AccessibilityError, OSError) as exc:
        # Bad input, a missing dataset, an unwritable output folder: the user can fix these.
        print(f"accessibility {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:
        print("accessibility: interrupted", file=sys.stderr)
        return 130


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
