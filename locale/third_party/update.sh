#!/usr/bin/env bash
# Rebuild the zh_Hans catalog of third-party admin strings (`make third-party-messages`).
#
# django-unfold ships no translations, and a few admin strings of the other packages
# lack a zh_Hans translation (extra_strings.py lists those by hand). This extracts every
# string from a temporary copy of the installed unfold package plus extra_strings.py,
# drops the ones Django's own zh_Hans catalogs already translate, keeps the translations
# committed in django.po for the rest, and compiles django.mo. New strings come out with
# an empty msgstr: fill them (no fuzzy), then run this again to compile.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
python="$root/.venv/bin/python"
po="$here/zh_Hans/LC_MESSAGES/django.po"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

unfold_dir="$("$python" -c 'import os, unfold; print(os.path.dirname(unfold.__file__))')"
django_dir="$("$python" -c 'import os, django; print(os.path.dirname(django.__file__))')"
cp -r "$unfold_dir" "$work/unfold"
cp "$here/extra_strings.py" "$work/extra_strings.py"
mkdir -p "$work/locale"
(cd "$work" && env -u DJANGO_SETTINGS_MODULE "$root/.venv/bin/django-admin" makemessages -l zh_Hans --add-location=file \
  --ignore='*/static/*' -v0)
fresh="$work/locale/zh_Hans/LC_MESSAGES/django.po"

# What Django's zh_Hans catalogs already translate needs no entry here.
msgmerge --quiet --no-fuzzy-matching --no-wrap \
  --compendium="$django_dir/contrib/admin/locale/zh_Hans/LC_MESSAGES/django.po" \
  --compendium="$django_dir/contrib/auth/locale/zh_Hans/LC_MESSAGES/django.po" \
  --compendium="$django_dir/conf/locale/zh_Hans/LC_MESSAGES/django.po" \
  -o "$work/django-known.po" /dev/null "$fresh"
msgattrib --no-wrap --untranslated -o "$work/missing.pot" "$work/django-known.po"

# Our translations of what is left; the header is ours too.
[ -f "$po" ] || cp "$here/header.txt" "$po"
msgmerge --quiet --no-fuzzy-matching --no-wrap --sort-by-file -o "$work/merged.po" "$po" "$work/missing.pot"
msgattrib --no-wrap --no-obsolete "$work/merged.po" | grep -v '^"POT-Creation-Date: ' >"$po"
msgfmt --check-format -o "${po%.po}.mo" "$po"

untranslated="$(msgattrib --untranslated "$po" | grep -c '^#:' || true)"
if [ "$untranslated" -gt 0 ]; then
  echo "third-party catalog: $untranslated strings to translate in $po" >&2
  exit 1
fi
