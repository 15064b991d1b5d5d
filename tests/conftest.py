"""Settings for every test."""

import logging

# moto's Step Functions interpreter logs every Fail state and every failed JSONPath as an ERROR
# with a dump of its parse tree; the execution histories the tests read already say it all.
logging.getLogger("moto.stepfunctions.parser").setLevel(logging.CRITICAL)
