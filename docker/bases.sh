#!/usr/bin/env bash
# shellcheck disable=SC2016  # the hooks are run by mmdebstrap: their $1 is the chroot
# Local stand-ins for the Dockerfile's base images, for machines that reach no image registry
# (but do reach a Debian mirror): made from Debian bookworm packages with mmdebstrap, then
# `docker import`ed into the daemon at DOCKER_HOST.
#
#   procviz-local/python:3.11-bookworm   for python:3.11-slim-bookworm: Debian's python3 (3.11)
#                                        with `python` and `pip` on PATH, pip installing
#                                        system-wide (/usr/local), as in the official image
#   procviz-local/node:bookworm          for node:20-bookworm-slim: Debian's nodejs and npm
#                                        (node 18; only `npm ci` runs in that stage)
#
# Both use this machine's own apt sources and apt network settings (/etc/apt), and carry its
# CA store (/etc/ssl/certs, /usr/local/share/ca-certificates), so pip and npm inside a build
# reach their registries through whatever TLS proxy the machine trusts.
#
#   docker/bases.sh [--force]     build the bases that are missing (--force: rebuild both)
set -euo pipefail

SCRIPT_NAME=bases
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=docker/lib.sh
source docker/lib.sh

PYTHON_BASE="${PROCVIZ_LOCAL_PYTHON_IMAGE:-procviz-local/python:3.11-bookworm}"
NODE_BASE="${PROCVIZ_LOCAL_NODE_IMAGE:-procviz-local/node:bookworm}"
SUITE=bookworm
FORCE=0
[ "${1:-}" = "--force" ] && FORCE=1

command -v mmdebstrap >/dev/null || die "mmdebstrap is missing (apt-get install mmdebstrap)"
daemon_reachable || die "no Docker daemon at ${DOCKER_HOST:-the default socket}"

# The machine's apt sources (one-line or deb822 files), pasted into the chroot as they are.
SOURCES=()
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    if [ -f "$f" ] && grep -qE '^[[:space:]]*(deb|URIs:)' "$f"; then SOURCES+=("$f"); fi
done
[ ${#SOURCES[@]} -gt 0 ] || die "no apt sources in /etc/apt to build the bases from"

# The machine's apt network settings (proxies, snapshot mirrors' Check-Valid-Until, ...):
# every apt.conf.d file that sets an Acquire:: option.
APTOPTS=(--aptopt='APT::Install-Recommends "false"')
for f in /etc/apt/apt.conf /etc/apt/apt.conf.d/*; do
    if [ -f "$f" ] && grep -q '^[[:space:]]*Acquire' "$f"; then APTOPTS+=(--aptopt="$f"); fi
done

# Merged /usr made by mmdebstrap's hook, not by the usrmerge package (which brings in perl).
HOOKS=()
if [ -d /usr/share/mmdebstrap/hooks/merged-usr ]; then
    HOOKS+=(--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr)
fi
# dpkg without fsync while the chroot is made (faster; eatmydata is removed at the end).
if [ -d /usr/share/mmdebstrap/hooks/eatmydata ]; then
    HOOKS+=(--hook-dir=/usr/share/mmdebstrap/hooks/eatmydata)
fi

# Slim, as the official -slim images are: no docs, manuals or translations.
DPKGOPTS=()
for p in doc man info locale lintian; do
    DPKGOPTS+=(--dpkgopt="path-exclude=/usr/share/$p/*")
done
DPKGOPTS+=(--dpkgopt='path-include=/usr/share/doc/*/copyright')

# The machine's CA store, after ca-certificates made the chroot's own.
CA_HOOK='mkdir -p "$1/usr/local/share/ca-certificates"
if [ -d /usr/local/share/ca-certificates ]; then
    cp -a /usr/local/share/ca-certificates/. "$1/usr/local/share/ca-certificates/"
fi
chroot "$1" update-ca-certificates >/dev/null
cp /etc/ssl/certs/ca-certificates.crt "$1/etc/ssl/certs/ca-certificates.crt"'

build_base() {
    local name="$1" include="$2" hook="$3"
    shift 3
    if [ "$FORCE" -eq 0 ] && docker image inspect "$name" >/dev/null 2>&1; then
        say "$name is there"
        return
    fi
    say "building $name from Debian $SUITE ($include)"
    local started=$SECONDS tarball log slug
    mkdir -p "$PROCVIZ_DOCKER_STATE"
    slug="${name//[^A-Za-z0-9.]/-}"
    tarball="$PROCVIZ_DOCKER_STATE/base-$slug.tar"
    log="$PROCVIZ_DOCKER_STATE/mmdebstrap-$slug.log"
    if ! nice -n 10 mmdebstrap --mode=root --variant=minbase --format=tar \
        --include="$include" "${APTOPTS[@]}" "${DPKGOPTS[@]}" "${HOOKS[@]}" \
        --customize-hook="$CA_HOOK" --customize-hook="$hook" \
        "$SUITE" "$tarball" "${SOURCES[@]}" >"$log" 2>&1; then
        rm -f "$tarball"
        grep -E '^(E|W):' "$log" | tail -n 20 >&2 || tail -n 20 "$log" >&2
        die "mmdebstrap could not build $name (full log: $log)"
    fi
    [ -s "$tarball" ] || die "mmdebstrap made an empty tarball for $name (log: $log)"
    docker import "$@" "$tarball" "$name" >/dev/null
    rm -f "$tarball"
    say "$name built in $((SECONDS - started)) s: $(docker image inspect --format '{{.Size}}' "$name" \
        | awk '{ printf "%.0f MB", $1 / 1e6 }')"
}

# The two are made side by side (mostly waiting for the mirror); each fails on its own.
# Interrupted, the jobs and what they run (mmdebstrap, docker import) are stopped by PID.
JOBS=()
stop_jobs() {
    local job child
    for job in "${JOBS[@]}"; do
        for child in $(ps -o pid= --ppid "$job" 2>/dev/null); do kill "$child" 2>/dev/null || true; done
        kill "$job" 2>/dev/null || true
    done
}
trap 'stop_jobs; exit 130' INT
trap 'stop_jobs; exit 143' TERM
# Debian marks its python "externally managed" (PEP 668); the official image's python is not,
# and the Dockerfile pip-installs into it. Apt's lists are not kept.
build_base "$PYTHON_BASE" "ca-certificates,python3,python3-pip,python-is-python3" \
    'rm -f "$1"/usr/lib/python3*/EXTERNALLY-MANAGED; rm -rf "$1"/var/lib/apt/lists/*' \
    --change 'ENV LANG=C.UTF-8' --change 'CMD ["python3"]' &
PYTHON_JOB=$!
JOBS+=("$PYTHON_JOB")

# NODE_EXTRA_CA_CERTS: node trusts its own bundled CAs, not the system store, by default.
build_base "$NODE_BASE" "ca-certificates,nodejs,npm" \
    'rm -rf "$1"/var/lib/apt/lists/*' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
    --change 'CMD ["node"]' &
NODE_JOB=$!
JOBS+=("$NODE_JOB")

failed=0
wait "$PYTHON_JOB" || failed=1
wait "$NODE_JOB" || failed=1
[ "$failed" -eq 0 ] || die "a base image could not be built (above)"
