# One image for migrate, web, workers and beat (docker-compose.yml). Python 3.11 as on
# our machines; the base image is pinned to a patch release (docs/DEPLOY.md says how
# to move the pins).
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

# Reproducible install: exact versions and their sha256 hashes (requirements.lock is
# compiled from requirements.txt by pip-compile --generate-hashes; docs/DEPENDENCIES.md).
COPY requirements.lock .
RUN pip install --no-cache-dir --require-hashes -r requirements.lock

COPY . .
RUN DJANGO_SECURE=1 DJANGO_SECRET_KEY=collectstatic-only PII_ENCRYPTION_KEYS=build:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
    PII_LOOKUP_KEY=collectstatic-only python manage.py collectstatic --noinput -v0 \
    && useradd --system --uid 1000 mall && mkdir -p /app/media /app/private /app/backups /app/backups-offsite /app/web-metrics \
    && chown -R mall /app/media /app/private /app/backups /app/backups-offsite /app/web-metrics \
       /app/staticfiles
USER mall

EXPOSE 8000
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "mall.wsgi:application"]
