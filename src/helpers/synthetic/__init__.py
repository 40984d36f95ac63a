"""``helpers.synthetic``: Generators of synthetic data: the embedded sample and county-shaped copies; never used by an evaluation.

May import: ``helpers.core``, ``helpers.io`` — never a layer above it (tests/test_architecture.py).

Modules:

- ``sample``            the seeded synthetic sample generator and its calibration table
- ``records``           synthetic programme records (remediation ledger, renewal, green factories, parks …)
- ``county_example``    a county-office-shaped copy of the sample (workbook + GBK Shapefile)
"""
