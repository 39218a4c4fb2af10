#!/usr/bin/env bash
# make image-test: build the image and check it from outside, for real.
#
#   1. daemon  a reachable Docker daemon, or one of our own on a private socket, data root,
#              exec root and pidfile (docker/lib.sh); fails loudly, with the reason, when
#              this machine cannot run one
#   2. bases   the official base images, or local Debian-made ones (docker/bases.sh) when
#              no registry is reachable and they are absent
#   3. build   the image, with the legacy builder (DOCKER_BUILDKIT=0)
#   4. checks  docker/check_image.py: runs containers of it and checks them from outside
#
# Everything it started is stopped on the way out, failed or not: the check's containers and
# volumes (label procviz-image-test) and the daemon, by its PID. Timings of each phase at the end.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
SCRIPT_NAME=image-test
# shellcheck source=docker/image.sh
source docker/image.sh

TAG="${PROCVIZ_TEST_IMAGE:-procviz:image-test}"
PYTHON="${PYTHON:-python3}"

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if daemon_reachable 2>/dev/null; then
        local left
        left=$(docker ps --all --quiet --filter label=procviz-image-test 2>/dev/null || true)
        if [ -n "$left" ]; then
            say "removing containers left by the check: $(echo "$left" | tr '\n' ' ')"
            # shellcheck disable=SC2086
            docker rm --force --volumes $left >/dev/null 2>&1 || true
        fi
        left=$(docker volume ls --quiet --filter label=procviz-image-test 2>/dev/null || true)
        # shellcheck disable=SC2086
        if [ -n "$left" ]; then docker volume rm --force $left >/dev/null 2>&1 || true; fi
    fi
    stop_daemon
    if [ ${#PHASE_REPORT[@]} -gt 0 ] || [ -n "$PHASE_NAME" ]; then phase_summary; fi
    if [ "$rc" -eq 0 ]; then say "OK"; else say "FAILED (exit $rc)"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

phase daemon
ensure_daemon
phase bases
choose_bases
phase build
build_image "$TAG"
phase checks
"$PYTHON" docker/check_image.py "$TAG"
phase_end
