# One container: the bot, its scheduler and (when DATABASE_URL is unset) its embedded Postgres in /data.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATA_DIR=/data \
    HEALTH_PORT=8080 \
    LOG_FORMAT=json

# ca-certificates: openai 3.x verifies TLS against the system store.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 mirt \
    && useradd --system --uid 10001 --gid mirt --home-dir /app --shell /usr/sbin/nologin mirt \
    && mkdir -p /data \
    && chown mirt:mirt /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY agent ./agent
COPY memory ./memory
COPY storage ./storage
COPY jobs ./jobs
COPY catalog ./catalog
COPY crm ./crm
COPY knowledge ./knowledge
COPY outbound ./outbound
COPY llm ./llm
COPY models ./models
COPY config ./config
RUN pip install --no-compile .

# Postgres refuses to run as root; as this user the embedded server runs directly.
USER 10001:10001
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/health', timeout=4)"]
# The process stops polling, finishes turns within SHUTDOWN_GRACE (8s) and exits inside Docker's 10s.
STOPSIGNAL SIGTERM
CMD ["python", "-m", "bot", "run"]
