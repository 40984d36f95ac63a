"""Helpers for the Linping 亩均效益 notebooks, in layered sub-packages (docs/architecture.md):

- ``helpers.core``       paths, units, errors, YAML, keys, credit codes, geography, industries
- ``helpers.io``         reading, checking and caching a data folder into a ``Dataset``
- ``helpers.synthetic``  the seeded synthetic sample and county-shaped copies of it
- ``helpers.evaluate``   the 亩均 evaluation (indicators, methods, scores, classes, ledger, parcels)
- ``helpers.plan``       the plan's tasks, goals and status rule, as data
- ``helpers.policy``     高耗低效 screening, energy budgets, prices, programmes, the scenario
- ``helpers.progress``   a yearly series per measure and a status per target
- ``helpers.viz``        house style, charts and maps
- ``helpers.report``     the run context, page sections, the runner and its outputs
- ``helpers.scale``      pandas and dask engines for data too big for notebooks

A module imports only its own sub-package and the layers listed above it here.
"""

__version__ = "0.2.0"
