"""Helpers for the Linping 亩均效益 notebooks.

One module per idea:

- ``paths``        where the project's folders are (the only place that knows)
- ``units``        亩, CRS for areas, unit constants
- ``errors``       a problem (file, column, rows, expected) and the input error that lists them all
- ``credit_code``  统一社会信用代码 (GB 32100-2015) check characters
- ``config``       reading the YAML data files (methods, goals, sample calibration)
- ``geo``          the real district boundary, the 街道 list, indicative 街道 zones
- ``schema``       table schemas and the checks of one table's cells
- ``formats``      what a file is (by its bytes) and reading it as rows of text or as a layer
- ``headers``      header aliases and units (data/reference/column_aliases.yaml, units.yaml)
- ``coordinates``  a layer's CRS inferred or checked against Linping; GCJ-02 detected and converted
- ``inventory``    which file and sheet of a folder holds which table
- ``validation``   the one-pass check of a whole folder, its problems and row ledger (``make check``)
- ``contract``     docs/data-contract.md and docs/examples/, generated from the data files
- ``county_example`` a county-office-shaped copy of the sample (workbook + GBK Shapefile)
- ``cache``        the GeoParquet cache of checked folders (a re-run does not parse the files again)
- ``loaders``      reading a checked data folder into a ``Dataset``
- ``indicators``   enterprise indicators (亩均税收 …) from the annual panel
- ``methods``      evaluation methods (YAML) and their validation
- ``scoring``      composite score per pool and A/B/C/D rank bands
- ``evaluation``   one evaluation year end to end, with the exclusion ledger
- ``zone_totals``  parcels to zones by a spatial join, and totals per zone and class
- ``dask_engine``  the evaluation on dask-geopandas over a partitioned GeoParquet dataset
- ``scale``        classes and zone totals without notebooks, on the pandas or the dask engine
- ``goals``        the plan's headline goals (二、实施目标) and district figures against them
- ``anonymize``    stable pseudonyms at load, coarse outlines, the scan of a run folder for leaks
- ``plotting``     the CJK font and the charts
- ``maps``         static maps on the real boundary
- ``rasterise``    parcels as a class raster, for maps of more parcels than can be drawn one by one
- ``sample``       the seeded synthetic sample generator
- ``provenance``   file hashes, package versions, git commit
- ``runner``       papermill runner that writes ``reports/<run>/``
"""

__version__ = "0.1.0"
