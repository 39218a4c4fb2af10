# syntax=docker/dockerfile:1
#
# procviz in a container:
#   docker build -t procviz .
#   docker run --rm -p 8000:8000 -v procviz-data:/data procviz
#
# The server binds 0.0.0.0 here, so controlling runs (run, stop, signal) needs the presenter
# token: procviz generates one and prints the presenter URL at start-up, unless PROCVIZ_TOKEN
# is set (docker run -e PROCVIZ_TOKEN=...). Viewers watch read-only without it.
#
# `docker run --init` is not needed to reap orphans: the server makes itself a child
# subreaper (prctl PR_SET_CHILD_SUBREAPER), so a lesson's orphans are adopted and reaped by
# the server, not by PID 1. Adding --init is harmless.

# The base images are build arguments: the official images by default; a machine that reaches
# no image registry builds Debian-made stand-ins (docker/bases.sh) and passes them, as
# `make image` does there:
#   docker build --build-arg NODE_IMAGE=procviz-local/node:bookworm \
#                --build-arg PYTHON_IMAGE=procviz-local/python:3.11-bookworm -t procviz .
ARG NODE_IMAGE=node:20-bookworm-slim
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# Stage 1: the front-end libraries (d3, uPlot), exactly as package-lock.json pins them.
FROM ${NODE_IMAGE} AS vendor
# A registry mirror, for a build machine that must use one (unset: the npm registry).
ARG NPM_CONFIG_REGISTRY
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# Stage 2: the server.
FROM ${PYTHON_IMAGE}
# Package index mirrors, for a build machine that must use them (unset: PyPI). Build arguments
# only: they are not in the image's environment.
ARG PIP_INDEX_URL
ARG PIP_EXTRA_INDEX_URL

# PYTHONPATH: app/ and workers/ are imported from /opt/procviz, beside templates/, static/ and
# node_modules/ (where app.main.web_root() looks), by the server and by the lesson interpreters
# it starts alike; the installed copy in site-packages supplies the dependencies and the
# `procviz` console script.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/opt/procviz

RUN groupadd --system --gid 10001 procviz \
 && useradd --system --uid 10001 --gid procviz --create-home --home-dir /home/procviz \
        --shell /usr/sbin/nologin procviz \
 && mkdir /data \
 && chown procviz:procviz /data

WORKDIR /opt/procviz

# Dependencies and the `procviz` console script; the in-tree build leftovers go.
COPY pyproject.toml README.md ./
COPY app/ app/
COPY workers/ workers/
RUN pip install --no-cache-dir . \
 && rm -rf build ./*.egg-info

COPY templates/ templates/
COPY static/ static/
COPY --from=vendor /build/node_modules/ node_modules/

# PROCVIZ_ALLOWED_HOSTS: the Host header names the server answers. Behind `docker run -p` the
# name a browser uses (the machine's name or address, a port-forward) is not known here, so
# any is allowed; the presenter token still guards control. Narrow it for a fixed name:
# -e PROCVIZ_ALLOWED_HOSTS=procviz.school.example
ENV PROCVIZ_HOST=0.0.0.0 \
    PROCVIZ_PORT=8000 \
    PROCVIZ_DATA_DIR=/data \
    PROCVIZ_ALLOWED_HOSTS=*
# Declared after the chown above, so a fresh volume starts owned by procviz.
VOLUME /data

# Numeric, so a runtime (Kubernetes runAsNonRoot) can tell it is not root.
USER 10001:10001
EXPOSE 8000

# No curl in the slim image; urlopen raises (exit 1) on a refused connection or non-2xx.
# The port is EXPOSE's: whoever changes PROCVIZ_PORT overrides the health check too.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

CMD ["procviz", "serve"]
