"""The Gauge fixing page's stream: ALS-GMWS and weight sharing without gauge mediation, one sweep each in turn."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from explorer.learning.experiment import LearningExperiment
from explorer.learning.law import SelfSimilarLaw

__all__ = ["GaugeUpdate", "paired_updates"]


@dataclass
class GaugeUpdate:
    """One sweep of one method, or the error that ended that method."""

    method: str
    report: dict | None = None
    gauges: list = field(default_factory=list)
    stop: str | None = None
    law: SelfSimilarLaw | None = None
    error: str | None = None


def paired_updates(experiments: dict[str, LearningExperiment]):
    """Alternate one sweep of each experiment; a method that fails yields its error and drops out."""
    generators = {method: experiment.iterate() for method, experiment in experiments.items()}
    while generators:
        for method in list(generators):
            try:
                report = next(generators[method])
            except StopIteration:
                del generators[method]
                continue
            except (ValueError, FloatingPointError, np.linalg.LinAlgError) as exc:
                del generators[method]
                yield GaugeUpdate(method, error=f"{type(exc).__name__}: {exc}")
                continue
            gauges = [{k: (v.copy() if k == "U" else v) for k, v in g.items()} for g in report.gauges]
            yield GaugeUpdate(method, report.as_dict(), gauges, report.stop, report.law)
