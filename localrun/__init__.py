"""Local runner: the whole SAM application on moto, with the real handlers in worker processes.

Dev tooling only (never deployed). Everything it creates is read from template.yaml, the nested
service templates and statemachine/checkout.asl.json, so the local app cannot drift from the
deployed one. Entry points: `localrun.stack.LocalApp` (tests) and `python -m localrun` (people).
"""
