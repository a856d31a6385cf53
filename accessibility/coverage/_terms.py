"""The words and defaults of the coverage measures: unit statuses, gap kinds, thresholds, tolerances."""

from __future__ import annotations

#: Status of a unit whose best centre is within the stop distance of an intercity stop.
STATUS_MEETS = "centre meets rule"


#: Status of a unit whose centres are all farther than the stop distance from an intercity stop.
STATUS_FAILS = "centre, rule not met"


#: Status of a unit with a centre whose distance could not be measured (off the walking network).
STATUS_UNMEASURED = "centre, distance not measured"


#: Status of a unit without a centre.
STATUS_NONE = "no centre"


#: Status of every unit when no centres were given.
STATUS_NOT_ASSESSED = "centres not given"


#: Every value of the ``status`` column, in map-legend order.
STATUS_VALUES: tuple[str, ...] = (
    STATUS_MEETS,
    STATUS_FAILS,
    STATUS_UNMEASURED,
    STATUS_NONE,
    STATUS_NOT_ASSESSED,
)


#: Default distances (metres) at which population beyond the nearest centre is counted.
DEFAULT_THRESHOLDS: tuple[float, ...] = (700.0, 2000.0, 5000.0, 10000.0)


#: Default distance (metres) within which a stop or site just outside every unit polygon is given
#: to the nearest unit: the CSB boundaries are generalised to 1:1.2 M and can cut off a coastal
#: or border stop by a few hundred metres.
DEFAULT_TOLERANCE_M: float = 250.0


#: Gap kinds, in the order used to break ties within a unit.
GAP_KINDS: tuple[str, ...] = (
    "no centre",
    "centre does not meet the stop rule",
    "centre distance not measured",
    "no candidate meets the stop rule",
    "no site in the unit can meet the stop rule",
    "no intercity stop in the unit",
    "population beyond distance",
    "no population figure",
)
