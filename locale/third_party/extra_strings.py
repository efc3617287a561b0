"""Admin strings of third-party packages that no zh_Hans catalog translates.

Not imported by the application: ``update.sh`` (``make third-party-messages``) copies
this file next to the installed django-unfold package and extracts both. List a
string here when a page shows it in English and its package (django-celery-beat,
django-guardian, Django) has no zh_Hans translation for it; the translation goes in
``zh_Hans/LC_MESSAGES/django.po``.
"""

from django.utils.translation import gettext_noop

STRINGS = [
    # django-unfold: boolean titles and the header greeting (inside an f-string there,
    # which extraction does not read).
    gettext_noop("True"),
    gettext_noop("False"),
    gettext_noop("Welcome"),
]
