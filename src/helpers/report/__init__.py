"""``helpers.report``: Reports: the run context, the sections each notebook shows, the runner and the files it writes.

May import: ``helpers.core``, ``helpers.io``, ``helpers.synthetic``, ``helpers.evaluate``, ``helpers.plan``,
``helpers.policy``, ``helpers.progress``, ``helpers.viz`` — never a layer above it
(tests/test_architecture.py).

Modules:

- ``context``                ``RunContext``: parameters turned into the dataset, evaluations by year, scope, rules, targets
- ``sections``               shared pieces of every page: scope line, data notice, tables with Chinese headers
- ``tracker_page``           sections of 00_task_tracker: goal and task status tables, task by task
- ``overview_page``          sections of 01_data_overview: the data check, calibration, areas, the trend
- ``evaluation_page``        sections of 02_mujun_evaluation: goals, distributions, breakdowns, classes, maps
- ``low_efficiency_page``    sections of 03_low_efficiency: tasks 1-5, hot spots, the list and the layer
- ``scenario_page``          sections of 04_scenario: the scenario, sensitivity, the surcharge
- ``enterprises_page``       sections of 05_enterprises: class transitions, industry peers, the 街道 race, portraits
- ``portraits``             the enterprise portraits page (企业画像): one printable section per enterprise
- ``effects_page``           sections of 06_policy_effects: 腾笼, 换鸟 and 涅槃 measured apart (the decomposition)
- ``narrative``              texts: the data notice, the method notice, the scope, the run summary
- ``exports``                XLSX lists with Chinese headers, GeoPackage layers, the run's CSV tables
- ``provenance``             input hashes, package versions, git commit, machine
- ``dashboard``              the targets' statuses as text: HTML tables with status chips, counts by status
- ``briefing``               the Word briefing 《腾笼换鸟攻坚行动进展简报》 (python-docx) of the tracker's figures
- ``pdf``                    PDFs of the run's pages, printed by headless Chromium after the HTML
- ``site``                   the run's pages as one offline site: titles, navigation, contents, embedded CJK font
- ``runner``                 papermill runner: checks the folder, runs the notebooks, writes reports/<run>/
- ``kernels``                how kernels start: one thread each for numerical libraries, forked from a warmed server, over private Unix sockets
- ``runs``                   run folders: plain names, a lock per name, staged and moved into place when done
- ``parameters``             a run's parameters checked against the notebooks' declarations
- ``redaction``              the data check's texts in an anonymised run: no folder path, file, sheet or parcel code
- ``sharing``                the scan of a run folder for names and codes before sharing (``make scan``)
"""
