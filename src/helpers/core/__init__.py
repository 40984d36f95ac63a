"""``helpers.core``: Facts and small tools every layer uses; imports nothing of helpers above it.

May import: nothing of helpers — never a layer above it (tests/test_architecture.py).

Modules:

- ``paths``          where the project's folders are; the only module that knows (notebooks never write ``../``)
- ``units``          亩 and other unit constants, the CRS in which areas are measured (EPSG:4549)
- ``errors``         ``Problem`` (file, column, rows, expected, fix) and ``InputError``, which lists them all
- ``yamlfile``       ``load_yaml``: reading the project's YAML data files
- ``keys``           joins by row position (Arrow hash index): where each key of one table sits in another
- ``fingerprints``   repeated keys and key lookups by 64-bit fingerprints of fixed-length codes, confirmed exactly
- ``credit_code``    统一社会信用代码 check characters (GB 32100-2015)
- ``geography``      the real district boundary and 街道 list, indicative 街道 zones, parcel label points
- ``industries``     GB/T 4754-2017 industry codes and the plan's industry chains
- ``disclosure``     coarser figures for shared runs: ``round_figures`` significant figures in tables, files and tooltips
- ``tails``          normal and χ² tails for the regressions' intervals and p-values (scipy.stats' figures, without importing it)
- ``memory``         freed memory given back after a large piece of work (``malloc_trim``), reused within one (``mallopt``)
"""
