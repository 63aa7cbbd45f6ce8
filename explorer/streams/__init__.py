"""Report streams of the dashboard's runs: generators that execute in worker processes, one item per step.

Each page of the dashboard displays one of these streams (:mod:`explorer.streams.learn` for the Learn page,
:mod:`explorer.streams.gauge` for the Gauge fixing page; the Epsilon-net page streams the library's
:func:`explorer.groundstate.study.net_study`).
They import no display code, so a worker process (:mod:`explorer.engine`) runs them without Panel, and every item
they yield is a plain, picklable snapshot that later steps do not change.
"""
