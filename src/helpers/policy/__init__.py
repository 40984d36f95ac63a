"""``helpers.policy``: The plan's instruments: 高耗低效 screening, energy budgets, prices, programmes, the scenario.

May import: ``helpers.core``, ``helpers.io``, ``helpers.synthetic``, ``helpers.evaluate``, ``helpers.plan`` —
never a layer above it (tests/test_architecture.py).

Modules:

- ``low_efficiency``    高耗低效 screening rule, the clearance line, the remediation list
- ``energy``            task 1's energy budget and task 3's energy-intensity screening
- ``prices``            差别化要素价格: what class-based surcharges raise and who bears them
- ``programmes``        progress of the programmes from the optional record tables
- ``remediation_effect`` the effect of remediation on the firms that went through it (matched event study)
- ``scenario``          the 腾笼换鸟 scenario: exits, freed land and energy, re-letting, sensitivity
"""
