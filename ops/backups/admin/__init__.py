"""Backups admin (系统 → 数据备份, 恢复校验): read-only lists and pages.

Buttons for holders of ``backups.run_backup`` (the tech lead): 立即备份 on the backup
list (an on-demand daily backup, run by the heavy worker), 校验恢复 on the backup list
(the newest backup) and on a backup's page (that backup). Each enqueues the task the
schedule runs, which calls the same service as ``manage.py backup_now`` /
``restore_backup``.
"""

from . import backups  # noqa: F401
