# kaireon-service: the API the chart deploys (`kaireon-service serve`, port 3000).
#   docker build -t kaireon-service .
#   docker run -p 3000:3000 -e CRON_SECRET=... -e DATABASE_URL=postgresql://... kaireon-service
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY kaireon_chart ./kaireon_chart
COPY service ./service
COPY chart ./chart
COPY schemas ./schemas
# the service is the [service] extra of kaireon-chart (docs/ARCHITECTURE.md, "Installable units")
RUN pip wheel --wheel-dir /wheels '.[service]'

FROM python:3.11-slim
# the version built in the first stage (pyproject.toml); pinned so the install is reproducible
ARG KAIREON_VERSION=0.1.0
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=3000
COPY --from=build /wheels /wheels
RUN pip install --no-index --find-links /wheels "kaireon-chart[service]==${KAIREON_VERSION}" && rm -rf /wheels \
 && groupadd --system --gid 10001 kaireon \
 && useradd --system --uid 10001 --gid 10001 --home-dir /app --shell /usr/sbin/nologin kaireon \
 && mkdir -p /app/var && chown -R 10001:10001 /app
WORKDIR /app
# numeric user so Kubernetes can verify runAsNonRoot; matches the chart's api.runAsUser
USER 10001:10001
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
  CMD ["python", "-c", "import os,urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT','3000'), timeout=2)"]
ENTRYPOINT ["kaireon-service"]
CMD ["serve"]
