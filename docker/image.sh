#!/usr/bin/env bash
# Build the procviz image (make image). Sourced by docker/image-test.sh for build_image.
#
#   docker/image.sh [TAG]        default tag: procviz:latest
#
# Bases (PROCVIZ_BASES): `official` (node:20-bookworm-slim, python:3.11-slim-bookworm, the
# Dockerfile's defaults), `local` (Debian-made stand-ins, docker/bases.sh), or `auto` (the
# default): official when the daemon has them or can pull them, else local.
# A pip or npm mirror the host is configured for (PIP_INDEX_URL, pip config, npm config) is
# passed to the build as build arguments; file:// indexes cannot be reached from a build and
# are left out. Nothing of it is written into the image.
# No daemon reachable: one of our own is started for the build and stopped after it (the
# image then lives in its data root; see docker/lib.sh).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
SCRIPT_NAME="${SCRIPT_NAME:-image}"
# shellcheck source=docker/lib.sh
source docker/lib.sh

OFFICIAL_NODE=node:20-bookworm-slim
OFFICIAL_PYTHON=python:3.11-slim-bookworm
LOCAL_NODE="${PROCVIZ_LOCAL_NODE_IMAGE:-procviz-local/node:bookworm}"
LOCAL_PYTHON="${PROCVIZ_LOCAL_PYTHON_IMAGE:-procviz-local/python:3.11-bookworm}"
export PROCVIZ_LOCAL_NODE_IMAGE="$LOCAL_NODE" PROCVIZ_LOCAL_PYTHON_IMAGE="$LOCAL_PYTHON"

have_image() { docker image inspect "$1" >/dev/null 2>&1; }
pull_quietly() { timeout 120 docker pull --quiet "$1" >/dev/null 2>&1; }

# Sets NODE_IMAGE and PYTHON_IMAGE; builds the local bases when they are needed and absent.
choose_bases() {
    local mode="${PROCVIZ_BASES:-auto}"
    case "$mode" in
        official | local | auto) ;;
        *) die "PROCVIZ_BASES=$mode: expected official, local or auto" ;;
    esac
    if [ "$mode" != local ]; then
        if { have_image "$OFFICIAL_NODE" || pull_quietly "$OFFICIAL_NODE"; } &&
            { have_image "$OFFICIAL_PYTHON" || pull_quietly "$OFFICIAL_PYTHON"; }; then
            NODE_IMAGE="$OFFICIAL_NODE" PYTHON_IMAGE="$OFFICIAL_PYTHON"
            say "bases: the official images"
            return
        fi
        [ "$mode" = official ] && die "cannot pull $OFFICIAL_NODE and $OFFICIAL_PYTHON"
        say "bases: no image registry reachable, using local Debian-made bases"
    fi
    NODE_IMAGE="$LOCAL_NODE" PYTHON_IMAGE="$LOCAL_PYTHON"
    if have_image "$NODE_IMAGE" && have_image "$PYTHON_IMAGE"; then
        say "bases: $NODE_IMAGE and $PYTHON_IMAGE are there"
    else
        docker/bases.sh
    fi
}

# Build arguments for the host's pip and npm mirrors, into BUILD_ARGS.
mirror_args() {
    BUILD_ARGS=()
    local pip=(python3 -m pip)
    [ -x .venv/bin/python ] && pip=(.venv/bin/python -m pip)
    local index extra kept=() url registry
    index="${PIP_INDEX_URL:-$("${pip[@]}" config get global.index-url 2>/dev/null || true)}"
    extra="${PIP_EXTRA_INDEX_URL:-$("${pip[@]}" config get global.extra-index-url 2>/dev/null || true)}"
    if [[ "$index" == http://* || "$index" == https://* ]]; then
        BUILD_ARGS+=(--build-arg "PIP_INDEX_URL=$index")
    fi
    for url in $extra; do
        if [[ "$url" == http://* || "$url" == https://* ]]; then kept+=("$url"); fi
    done
    if [ ${#kept[@]} -gt 0 ]; then BUILD_ARGS+=(--build-arg "PIP_EXTRA_INDEX_URL=${kept[*]}"); fi
    registry="$(npm config get registry 2>/dev/null || true)"
    if [ -n "$registry" ] && [ "${registry%/}" != https://registry.npmjs.org ]; then
        BUILD_ARGS+=(--build-arg "NPM_CONFIG_REGISTRY=$registry")
    fi
    if [ ${#BUILD_ARGS[@]} -gt 0 ]; then say "mirrors passed to the build: ${BUILD_ARGS[*]}"; fi
}

# build_image TAG: the legacy builder (no buildx needed), from the bases choose_bases chose.
build_image() {
    local tag="$1" log="$PROCVIZ_DOCKER_STATE/build.log"
    mirror_args
    mkdir -p "$PROCVIZ_DOCKER_STATE"
    say "building $tag from $NODE_IMAGE and $PYTHON_IMAGE (log: $log)"
    if ! DOCKER_BUILDKIT=0 nice -n 10 docker build --force-rm \
        --build-arg "NODE_IMAGE=$NODE_IMAGE" --build-arg "PYTHON_IMAGE=$PYTHON_IMAGE" \
        "${BUILD_ARGS[@]}" --tag "$tag" . >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        die "docker build failed (above: the end of $log)"
    fi
    # On our own daemon only: the previous build's image, untagged now, goes.
    if [ "${DOCKER_HOST:-}" = "$OWN_SOCKET" ]; then docker image prune --force >/dev/null; fi
    say "built $tag: $(docker image inspect --format '{{.Size}}' "$tag" |
        awk '{ printf "%.0f MB", $1 / 1e6 }')"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    TAG="${1:-procviz:latest}"
    trap stop_daemon EXIT
    ensure_daemon
    phase bases
    choose_bases
    phase build
    build_image "$TAG"
    phase_summary
    if [ -n "$OWN_DAEMON_PID" ]; then
        say "the image is in the daemon data root $PROCVIZ_DOCKER_STATE/data; to run it," \
            "start that daemon again (docker/image-test.sh does)"
    fi
fi
