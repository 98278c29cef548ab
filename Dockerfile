# rolemap service image. With docker-compose.yml it runs on Neo4j; alone, on the embedded store
# in the /data volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY rolemap ./rolemap
COPY seed ./seed
RUN pip install . && useradd --system --home /data rolemap && mkdir -p /data && chown rolemap /data

USER rolemap
ENV ROLEMAP_HOST=0.0.0.0 ROLEMAP_PORT=8000 ROLEMAP_DB=/data/rolemap.lbug
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=5 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4)"]
CMD ["rolemap", "serve"]
