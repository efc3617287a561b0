# Image for web, worker and beat (docker-compose.yml). Python 3.11 as on our machines.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
RUN DJANGO_SECURE=1 DJANGO_SECRET_KEY=collectstatic-only PII_ENCRYPTION_KEYS=build:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
    PII_LOOKUP_KEY=collectstatic-only python manage.py collectstatic --noinput -v0 \
    && useradd --system --uid 1000 mall && mkdir -p /app/media /app/backups \
    && chown -R mall /app/media /app/backups
USER mall

EXPOSE 8000
CMD ["gunicorn", "mall.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60"]
