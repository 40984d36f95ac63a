"""``helpers.io``: Input: what a data folder holds, checked against the data contract, cached, loaded as a `Dataset`.

May import: ``helpers.core`` — never a layer above it (tests/test_architecture.py).

Modules:

- ``formats``        what a file is by its bytes; reading it as rows of text or as a layer
- ``headers``        column headers as offices write them, matched to the data dictionary (aliases, units)
- ``schema``         table schemas (data/reference/input_schema.yaml) and the cell checks of one table
- ``coordinates``    which CRS a parcel layer is really in (declared, .prj, guessed), GCJ-02 detection
- ``manifest``       ``dataset.yaml``: a folder's own settings (header → field, fixed values, each sheet its year)
- ``inventory``      which file and sheet of a folder holds which table
- ``shares``         the shares of parcels the data do not give
- ``check``          the one-pass check of a whole folder: every problem, every row accounted for (``make check``)
- ``positions``      row positions between the core tables and parcel label points, and the ``Positions`` a dataset holds
- ``cache``          cache of checked folders (tables as Arrow IPC files, outlines as GeoParquet), keyed on the files and the whole ``core`` and ``io`` source
- ``dataset``        ``Dataset`` (frozen; ``replace`` drops stale positions) and ``load_dataset``: the checked tables in memory
- ``privacy``        stable keyed pseudonyms for names and codes, coarsened parcel outlines (applied at load)
- ``contract``       docs/data-contract.md and docs/examples/, generated from the data files
"""
