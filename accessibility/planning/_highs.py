"""Array-based MIP building and solving with HiGHS (one call, no Python object per variable)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np
from scipy import sparse

from .._errors import AccessibilityError

#: HiGHS ``a_format`` codes of the raw ``passModel`` overload.
_ROWWISE = 2
#: A bound HiGHS reads as infinite.
INF = highspy.kHighsInf


@dataclass
class MipSolution:
    """What one HiGHS run returned.

    Attributes
    ----------
    status
        ``"optimal"``, ``"time_limit"`` (a feasible but maybe not optimal solution), ``"infeasible"``
        or another HiGHS model status in lower case.
    x
        Column values (None when no feasible solution was found).
    objective
        Objective value of ``x`` (nan when none).
    bound
        Best dual bound HiGHS proved (for an LP: the optimum itself).
    gap
        Relative optimality gap HiGHS reports (0 for an optimal LP).
    runtime
        Wall-clock seconds of the solve.
    row_dual
        Dual values of the rows for an LP (None for a MIP or when HiGHS gave none).
    col_dual
        Reduced costs of the columns for an LP (None for a MIP or when HiGHS gave none).
    """

    status: str
    x: np.ndarray | None
    objective: float
    bound: float
    gap: float
    runtime: float
    row_dual: np.ndarray | None = None
    col_dual: np.ndarray | None = None


def solve(
    cost: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    integer: np.ndarray,
    rows: sparse.csr_array,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    *,
    maximize: bool = False,
    time_limit: float = 600.0,
    mip_rel_gap: float = 1e-6,
    threads: int = 1,
    seed: int = 0,
    relax: bool = False,
    start: np.ndarray | None = None,
    lp_solver: str | None = None,
) -> MipSolution:
    """Solve ``min/max cost @ x`` s.t. ``row_lower <= rows @ x <= row_upper``, ``lower <= x <= upper``.

    Parameters
    ----------
    cost, lower, upper
        Objective coefficients and column bounds (length = number of columns).
    integer
        Boolean mask of integer columns.
    rows
        Constraint matrix, CSR, one row per constraint.
    row_lower, row_upper
        Row bounds (use :data:`INF` for none).
    maximize
        Maximise instead of minimise.
    time_limit, mip_rel_gap, threads, seed
        HiGHS options; a fixed seed and one thread make runs repeatable.
    relax
        Solve the LP relaxation (ignore ``integer``).
    start
        A feasible solution to start the branch-and-bound from (column values), or None.
    lp_solver
        HiGHS ``solver`` option for an LP (``"simplex"``, ``"ipm"``, ``"pdlp"``); None keeps
        HiGHS's choice.

    Returns
    -------
    MipSolution
    """
    n_col = int(cost.shape[0])
    rows = sparse.csr_array(rows)
    n_row = int(rows.shape[0])
    if rows.shape[1] != n_col:
        raise AccessibilityError(f"constraint matrix has {rows.shape[1]} columns, expected {n_col}")
    # The raw binding: the Python wrapper class prints a banner and installs callbacks we do not use.
    h = highspy._core._Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("log_to_console", False)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    h.setOptionValue("random_seed", int(seed))
    h.setOptionValue("threads", int(threads))
    if lp_solver is not None:
        h.setOptionValue("solver", lp_solver)
    integrality = np.zeros(n_col, dtype=np.int32) if relax else np.asarray(integer, dtype=np.int32)
    status = h.passModel(
        n_col,
        n_row,
        int(rows.nnz),
        _ROWWISE,
        -1 if maximize else 1,
        0.0,
        np.ascontiguousarray(cost, dtype=np.float64),
        np.ascontiguousarray(lower, dtype=np.float64),
        np.ascontiguousarray(upper, dtype=np.float64),
        np.ascontiguousarray(row_lower, dtype=np.float64),
        np.ascontiguousarray(row_upper, dtype=np.float64),
        np.ascontiguousarray(rows.indptr, dtype=np.int32),
        np.ascontiguousarray(rows.indices, dtype=np.int32),
        np.ascontiguousarray(rows.data, dtype=np.float64),
        integrality,
    )
    if status == highspy.HighsStatus.kError:
        raise AccessibilityError("HiGHS rejected the model (inconsistent arrays)")
    if start is not None:
        h.setSolution(n_col, np.arange(n_col, dtype=np.int32), np.asarray(start, dtype=np.float64))
    began = time.perf_counter()
    h.run()
    runtime = time.perf_counter() - began
    model_status = h.getModelStatus()
    info = h.getInfo()
    name = h.modelStatusToString(model_status).lower()
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    if model_status == highspy.HighsModelStatus.kOptimal:
        label = "optimal"
    elif model_status in (highspy.HighsModelStatus.kInfeasible,):
        label = "infeasible"
    elif model_status == highspy.HighsModelStatus.kTimeLimit:
        label = "time_limit"
    else:
        label = name.replace(" ", "_")
    x = np.asarray(h.getSolution().col_value, dtype=np.float64) if has_solution else None
    objective = float(info.objective_function_value) if has_solution else float("nan")
    is_mip = not relax and bool(np.any(integrality))
    if is_mip:
        bound = float(info.mip_dual_bound)
        gap = float(info.mip_gap) if has_solution else float("inf")
    else:
        bound = objective
        gap = 0.0
    row_dual = col_dual = None
    if not is_mip and info.dual_solution_status == 2:
        row_dual = np.asarray(h.getSolution().row_dual, dtype=np.float64)
        col_dual = np.asarray(h.getSolution().col_dual, dtype=np.float64)
    return MipSolution(label, x, objective, bound, gap, runtime, row_dual, col_dual)
