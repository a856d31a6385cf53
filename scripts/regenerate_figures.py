"""Regenerate every figure and table of a paper from its study file, and print the headline figures."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import NoReturn

from accessibility import AccessibilityError, settings
from accessibility.run import pipeline
from accessibility.run.study import read_study

#: Exit status of a run stopped by a user mistake (bad argument, missing file or dataset).
USAGE_ERROR = 2


class _Parser(argparse.ArgumentParser):
    """Argument errors as one line on stderr, exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The command line of this script."""
    parser = _Parser(
        prog="regenerate_figures.py",
        description=(
            "Run the main job of a study file and write every map, table and report into one "
            "folder, with the resolved study and the checksums of the inputs used."
        ),
    )
    parser.add_argument("--study", type=Path, required=True, help="study file (TOML)")
    parser.add_argument("--out", type=Path, required=True, help="output folder (created)")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help=f"folder of the official datasets (default: the study's data_dir, else ${settings.DATA_DIR_ENV})",
    )
    parser.add_argument(
        "--no-sheets", action="store_true", help="skip the map sheet of each municipality"
    )
    parser.add_argument("--quiet", action="store_true", help="no step-by-step progress on stderr")
    return parser


def regenerate(
    study_path: Path,
    out: Path,
    *,
    data_dir: Path | None = None,
    sheets: bool = True,
    progress: bool = True,
) -> pipeline.RunResult:
    """Run the study and write its outputs under ``out``.

    A ``data_dir`` given here replaces the study's, and is recorded in the resolved study
    written beside the outputs, so the run can be repeated from that file alone.
    """
    study = read_study(study_path)
    if data_dir is not None:
        if not data_dir.is_dir():
            raise AccessibilityError(f"data folder {data_dir} does not exist")
        study = replace(study, data_dir=str(data_dir.resolve()))
    return pipeline.run(study, out, progress=progress, municipality_sheets=sheets)


def main(argv: list[str] | None = None) -> int:
    """Run the script; user mistakes end with one line on stderr and exit status 2."""
    args = build_parser().parse_args(argv)
    try:
        result = regenerate(
            args.study,
            args.out,
            data_dir=args.data_dir,
            sheets=not args.no_sheets,
            progress=not args.quiet,
        )
    except (AccessibilityError, OSError) as exc:
        message = " ".join(str(exc).split())
        print(f"regenerate_figures.py: error: {message}", file=sys.stderr)
        return USAGE_ERROR

    for key, consequence in sorted(result.inputs.missing.items()):
        print(f"missing {key}: {consequence}")
    headline = result.files.get("headline")
    if headline is not None:
        print("\nHeadline figures:")
        for line in json.loads(Path(headline).read_text(encoding="utf-8"))["headline"]:
            print(f"- {line}")
    figures = result.plan_details.get("figures")
    if figures:
        print(
            f"\nPlan: {figures['centres']} centres for {figures['units']} units "
            f"(target {figures.get('target', figures['centres'])})"
            if "units" in figures
            else f"\nPlan: {figures['centres']} centres ({figures.get('model', '')})"
        )
    print(f"\nWrote {len(result.files)} files:")
    for name, path in sorted(result.files.items()):
        print(f"  {name}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
