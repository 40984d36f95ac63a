"""Helpers for the Linping 亩均效益 notebooks.

One module per idea:

- ``paths``        where the project's folders are (the only place that knows)
- ``units``        亩, CRS for areas, unit constants
- ``errors``       the input-error type and how it names file, column and rows
- ``credit_code``  统一社会信用代码 (GB 32100-2015) check characters
- ``config``       reading the YAML data files (methods, goals, sample calibration)
- ``geo``          the real district boundary, the 街道 list, synthetic 街道 zones
- ``schema``       table schemas and the loaders' checks
- ``loaders``      reading a data folder into a ``Dataset``
- ``indicators``   enterprise indicators (亩均税收 …) from the annual panel
- ``methods``      evaluation methods (YAML) and their validation
- ``scoring``      composite score per pool and A/B/C/D rank bands
- ``evaluation``   one evaluation year end to end, with the exclusion ledger
- ``goals``        the plan's headline goals (二、实施目标) and district figures against them
- ``anonymize``    stable pseudonyms for enterprise names and codes
- ``plotting``     the CJK font and the charts
- ``maps``         static maps on the real boundary
- ``sample``       the seeded synthetic sample generator
- ``provenance``   file hashes, package versions, git commit
- ``runner``       papermill runner that writes ``reports/<run>/``
"""

__version__ = "0.1.0"
