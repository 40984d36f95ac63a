"""``helpers.evaluate``: The 亩均 evaluation: indicators, methods, scores and classes, the ledger, parcels, zones, hot spots.

May import: ``helpers.core``, ``helpers.io`` — never a layer above it (tests/test_architecture.py).

Modules:

- ``indicators``    the one place where 亩均税收 and every other indicator are defined and computed
- ``methods``       evaluation methods as data (data/methods/*.yaml), loaded and checked
- ``scoring``       the composite score per pool, zero denominators, and the A/B/C/D rank bands
- ``scope``         the 街道 scope of a run: parsing the parameter; a scope selects, it never re-ranks
- ``land``          land per enterprise, the one implementation: registered area × share, summed per enterprise
- ``frame``         one year's enterprise frame: land, panel row, status, pool, indicators, score, class
- ``ledger``        where every enterprise and every core-table row went: read = filtered + excluded + evaluated
- ``parcels``       tax allocated to parcels by used area, 亩均税收 per parcel, the main user's class
- ``evaluation``    ``evaluate``: one year end to end, district-wide, with the 街道 view applied after ranking
- ``stored``        a folder's district evaluations stored once (outside data/) and read by every kernel of a report
- ``zones``         parcels to zones by a spatial join; zone × class totals by one bincount kernel (pandas and dask)
- ``hotspots``      Getis-Ord Gi* and Local Moran's I over parcels (esda's formulas), two-sided pseudo p-values
- ``robustness``    the evaluation re-run under documented alternative weights, caps, bands and tie rules
- ``breakdowns``    tables of an evaluation: by 街道 / chain / size, class counts, benchmarks, the weakest
- ``transitions``   class transitions between years (升降档): matrices, big moves, entries, exits, D streaks
- ``peers``         industry peers (分行业对标): percentiles within industry, chain and pool; industry medians
- ``headroom``      what would lift an enterprise one class: the smallest change in each indicator alone
- ``decomposition`` where a change in an aggregate came from: Melitz–Polanec (exits, entries, within, reallocation)
- ``determinants`` what goes with high 亩均 figures: panel regression, residual Moran's I, a spreg spatial model
"""
