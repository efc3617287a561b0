"""Send explicitly marked read-only work to the replica, everything else to default.

Reports, exports, RFM and dashboards call ``.using(read_db())``; nothing that
checks-then-writes ever does. Without ``DATABASE_REPLICA_URL`` it is ``default``.
"""

from django.conf import settings


def read_db() -> str:
    return "replica" if "replica" in settings.DATABASES else "default"


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        return None  # default unless a caller chose the replica with .using()

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
