"""The paper's evaluation, measured: `python -m evaluation` (`make evaluate`).

Load from Locust against the local application (or a deployed API), metrics read the way
CloudWatch gets them (function logs: REPORT lines and Powertools EMF; execution histories),
and a cost model that turns the run's counts per order into dollars (`cost`, `prices.json`).
The report is docs/evaluation.md with its plots under docs/evaluation/.
"""
