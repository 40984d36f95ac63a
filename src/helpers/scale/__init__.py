"""``helpers.scale``: Engines for data too big for notebooks: classes and zone totals on pandas or dask.

May import: ``helpers.core``, ``helpers.io``, ``helpers.synthetic``, ``helpers.evaluate``, ``helpers.plan``,
``helpers.policy``, ``helpers.progress``, ``helpers.viz``, ``helpers.report`` (tests/test_architecture.py).

Modules:

- ``dask_engine``    the evaluation on dask-geopandas over a partitioned GeoParquet dataset
- ``cli``            ``python -m helpers.scale.cli`` / ``make evaluate``: the evaluation without notebooks
"""
