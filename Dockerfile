# mpscope in a container. The server binds 0.0.0.0 here, so it needs a token:
#   docker build -t mpscope .
#   docker run --rm -e MPSCOPE_TOKEN=change-me -p 8000:8000 mpscope
# then open http://127.0.0.1:8000/?token=change-me as the presenter (publish on port 8000: the Host check
# includes the port). Viewers on other machines use the host's address: accept it by appending
#   mpscope serve --host 0.0.0.0 --port 8000 --allow-host <the host's address or name>
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# tini as PID 1 forwards signals and reaps orphans: when a run's main process is killed, the processes
# it started are reparented to PID 1, which must wait for them. (Unpinned: bookworm's security updates.)
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/*

COPY pyproject.toml README.md LICENSE /tmp/mpscope/
COPY app /tmp/mpscope/app
COPY static /tmp/mpscope/static
COPY templates /tmp/mpscope/templates
RUN pip install --no-cache-dir /tmp/mpscope && rm -rf /tmp/mpscope

RUN groupadd --gid 10001 mpscope && useradd --uid 10001 --gid 10001 --create-home mpscope \
    && mkdir /data && chown 10001:10001 /data
# Run history (SQLite): keep it across containers with -v mpscope-data:/data.
ENV MPSCOPE_DATA_DIR=/data
VOLUME ["/data"]
USER 10001:10001
WORKDIR /home/mpscope

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/api/health', timeout=4)"]

# mpscope reads the token from MPSCOPE_TOKEN, and refuses to start without one on 0.0.0.0.
ENTRYPOINT ["tini", "--"]
CMD ["mpscope", "serve", "--host", "0.0.0.0", "--port", "8000"]
