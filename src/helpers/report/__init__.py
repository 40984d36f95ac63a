"""``helpers.report``: Reports: the run context, the sections each notebook shows, the runner and the files it writes.

May import: ``helpers.core``, ``helpers.io``, ``helpers.synthetic``, ``helpers.evaluate``, ``helpers.plan``, ``helpers.policy``, ``helpers.progress``, ``helpers.viz`` — never a layer above it (tests/test_architecture.py).

Modules:

- ``narrative``     texts: the data notice, the method notice, the scope, the run summary
- ``exports``       XLSX lists with Chinese headers, GeoPackage layers, the run's CSV tables
- ``provenance``    input hashes, package versions, git commit, machine
- ``runner``        papermill runner: checks the folder, runs the notebooks, writes reports/<run>/
- ``sharing``       the scan of a run folder for names and codes before sharing (``make scan``)
"""
