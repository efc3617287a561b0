"""Celery entry points of the orders app (thin: load as the system actor, call a service).

``SCHEDULE`` lists the default beat entries (collected by ``mall.core.schedule``).
"""

SCHEDULE: dict = {}
