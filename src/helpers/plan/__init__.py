"""``helpers.plan``: The plan (临平政办〔2022〕92号) as data: its 20 tasks, headline goals and the status rule.

May import: ``helpers.core``, ``helpers.io``, ``helpers.synthetic``, ``helpers.evaluate`` — never a layer
above it (tests/test_architecture.py).

Modules:

- ``tasks``    the 20 tasks and their targets (data/plan/tasks.yaml), plan years, the status rule
- ``goals``    the headline goals (二、实施目标) and the district's 规上 figures against them
"""
