"""The service's Powertools observability objects, shared by its handlers and use cases.

Powertools keeps one metric set and one logger configuration per service in a process, so
these are the same objects wherever they are imported.
"""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()
