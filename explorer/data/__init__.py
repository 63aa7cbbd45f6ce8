"""Learning from measured data: trajectory and pair files, derivative estimators, the domain of a law.

- :func:`load_data` / :func:`parse_data`: ``.npz`` (no pickle) and ``.csv`` files, from a path or from bytes;
  :class:`TrajectoryData` and :class:`PairData`; :class:`DataError` names the file, key and expected shape.
- :class:`Differentiation`: finite differences of order 2, 4, 6, a quintic spline, Savitzky-Golay smoothing.
- :func:`data_domain`, :func:`warn_outside`: the domain from the data, and how far other states leave it.
"""

from explorer.data.derivatives import DEFAULT_ESTIMATOR, ESTIMATORS, Differentiation
from explorer.data.domain import DomainWarning, data_domain, domain_excess, warn_outside
from explorer.data.files import DataError, load_data, parse_data, save_pairs, save_trajectories
from explorer.data.synthetic import measure_trajectories
from explorer.data.trajectories import PairData, TrajectoryData

__all__ = [
    "DEFAULT_ESTIMATOR",
    "ESTIMATORS",
    "DataError",
    "Differentiation",
    "DomainWarning",
    "PairData",
    "TrajectoryData",
    "data_domain",
    "domain_excess",
    "load_data",
    "measure_trajectories",
    "parse_data",
    "save_pairs",
    "save_trajectories",
    "warn_outside",
]
