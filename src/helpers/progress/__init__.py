"""``helpers.progress``: Measuring the plan's progress: a yearly series per measure and a status per target.

May import: ``helpers.core``, ``helpers.io``, ``helpers.synthetic``, ``helpers.evaluate``, ``helpers.plan``,
``helpers.policy`` — never a layer above it (tests/test_architecture.py).

Modules:

- ``measures``    the registry of measures: a yearly series for every measure a target names
- ``tracker``     the 20-task tracker: each target's series, value judged and status
"""
