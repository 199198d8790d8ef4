#!/bin/sh
# Web container start: apply migrations, then serve with gunicorn (static files come from WhiteNoise).
set -e
python manage.py migrate --noinput
exec gunicorn studio.wsgi:application \
  --bind 0.0.0.0:8000 \
  --workers "${WEB_CONCURRENCY:-3}" \
  --timeout "${GUNICORN_TIMEOUT:-120}" \
  --access-logfile -
