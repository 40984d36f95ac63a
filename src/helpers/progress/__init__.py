"""``helpers.progress``: Measuring the plan's progress: a yearly series per measure and a status per target.

May import: ``helpers.core``, ``helpers.io``, ``helpers.synthetic``, ``helpers.evaluate``, ``helpers.plan``,
``helpers.policy`` — never a layer above it (tests/test_architecture.py).

Modules:

- ``measures``    the registry of measures: a yearly series for every measure a target names
- ``tracker``     the 20-task tracker: each target's series, value judged and status
- ``race``        the 街道 race (赛马): every target the data break down by 街道, ranked, with its source
"""
