# shellcheck shell=bash
# Shared by docker/image.sh and docker/image-test.sh (sourced, not run).
#
# A Docker daemon to talk to: the one already reachable (DOCKER_HOST or the default socket),
# or else one of our own on a private socket, data root, exec root and pidfile under
# $PROCVIZ_DOCKER_STATE (default /tmp/procviz-docker), stopped by PID when we are done.
# The private data root is kept between runs: it caches the local base images and layers.

PROCVIZ_DOCKER_STATE="${PROCVIZ_DOCKER_STATE:-/tmp/procviz-docker}"
OWN_SOCKET="unix://$PROCVIZ_DOCKER_STATE/docker.sock"
OWN_PIDFILE="$PROCVIZ_DOCKER_STATE/docker.pid"
OWN_LOG="$PROCVIZ_DOCKER_STATE/dockerd.log"
OWN_DAEMON_PID=""

say() { printf '[%s] %s\n' "${SCRIPT_NAME:-docker}" "$*" >&2; }
die() { say "FAIL: $*"; exit 1; }

# Phase timings: `phase NAME` starts one (ending the previous); `phase_end` ends the last.
PHASE_NAME=""
PHASE_START=0
PHASE_REPORT=()
now() { date +%s.%N; }
phase_end() {
    if [ -n "$PHASE_NAME" ]; then
        local took
        took=$(awk -v a="$PHASE_START" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
        PHASE_REPORT+=("$(printf '%-8s %6s s' "$PHASE_NAME" "$took")")
        say "phase $PHASE_NAME: $took s"
    fi
    PHASE_NAME=""
}
phase() { phase_end; PHASE_NAME="$1"; PHASE_START=$(now); say "phase $1 ..."; }
phase_summary() {
    phase_end
    local line
    for line in "${PHASE_REPORT[@]}"; do say "  $line"; done
}

daemon_reachable() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# Use a reachable daemon, or start our own. Fails loudly, with the reason, when neither works.
ensure_daemon() {
    command -v docker >/dev/null || die "no docker client on PATH (apt-get install docker.io)"
    if daemon_reachable; then
        say "using the running Docker daemon at ${DOCKER_HOST:-the default socket}" \
            "($(docker version --format '{{.Server.Version}}'))"
        return
    fi
    export DOCKER_HOST="$OWN_SOCKET"
    if daemon_reachable; then
        say "using the procviz daemon already running at $DOCKER_HOST (not ours to stop)"
        return
    fi
    command -v dockerd >/dev/null || die "no Docker daemon reachable and no dockerd to start" \
        "(apt-get install docker.io)"
    [ "$(id -u)" -eq 0 ] || die "no Docker daemon reachable, and starting one needs root" \
        "(this machine cannot run a daemon for us: run as root or give a DOCKER_HOST)"
    mkdir -p "$PROCVIZ_DOCKER_STATE"
    if [ -s "$OWN_PIDFILE" ] && ! kill -0 "$(cat "$OWN_PIDFILE")" 2>/dev/null; then
        rm -f "$OWN_PIDFILE"  # a stale pidfile of a daemon that died makes dockerd refuse
    fi
    say "starting dockerd on $DOCKER_HOST (log: $OWN_LOG)"
    # At low priority: the builds and containers it starts share the machine with others.
    nice -n 10 dockerd \
        --host "$DOCKER_HOST" \
        --data-root "$PROCVIZ_DOCKER_STATE/data" \
        --exec-root "$PROCVIZ_DOCKER_STATE/exec" \
        --pidfile "$OWN_PIDFILE" \
        >"$OWN_LOG" 2>&1 </dev/null &
    OWN_DAEMON_PID=$!
    local i
    for i in $(seq 1 150); do
        if ! kill -0 "$OWN_DAEMON_PID" 2>/dev/null; then
            wait "$OWN_DAEMON_PID" || true
            OWN_DAEMON_PID=""
            say "dockerd exited at start; the end of its log:"
            tail -n 25 "$OWN_LOG" >&2 || true
            die "this machine cannot run a Docker daemon (reason above, full log in $OWN_LOG)"
        fi
        if daemon_reachable; then
            say "dockerd $(docker version --format '{{.Server.Version}}') up (pid $OWN_DAEMON_PID," \
                "after $((i / 5)).$((i % 5 * 2)) s)"
            return
        fi
        sleep 0.2
    done
    say "dockerd did not answer within 30 s; the end of its log:"
    tail -n 25 "$OWN_LOG" >&2 || true
    stop_daemon
    die "this machine cannot run a Docker daemon (no answer within 30 s)"
}

# Stop the daemon we started (only that one), by PID: TERM, then KILL after 20 s.
stop_daemon() {
    [ -n "$OWN_DAEMON_PID" ] || return 0
    local pid="$OWN_DAEMON_PID" i
    OWN_DAEMON_PID=""
    kill -TERM "$pid" 2>/dev/null || return 0
    for i in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
        say "dockerd $pid still running 20 s after SIGTERM: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        # Killed, dockerd cannot stop the containerd it started: that one goes by its pidfile.
        local cpid
        cpid=$(cat "$PROCVIZ_DOCKER_STATE/exec/containerd/containerd.pid" 2>/dev/null || true)
        if [ -n "$cpid" ]; then kill -KILL "$cpid" 2>/dev/null || true; fi
    fi
    wait "$pid" 2>/dev/null || true
    # What it started (containerd, shims) names our state directory on its command line; they
    # end with it, a moment later: wait for them, then SIGKILL any that stayed.
    local left=()
    for i in $(seq 1 50); do
        mapfile -t left < <(own_leftovers)
        [ ${#left[@]} -eq 0 ] && break
        sleep 0.2
    done
    if [ ${#left[@]} -gt 0 ]; then
        say "still running 10 s after dockerd: ${left[*]}: SIGKILL"
        kill -KILL "${left[@]}" 2>/dev/null || true
    fi
    say "dockerd $pid stopped"
}

# PIDs of containerd and containerd-shim processes whose command line names our state
# directory: the ones our dockerd started, no other.
own_leftovers() {
    local f pid argv
    for f in /proc/[0-9]*/cmdline; do
        pid="${f#/proc/}"
        pid="${pid%/cmdline}"
        argv=$(tr '\0' ' ' <"$f" 2>/dev/null) || continue
        case "${argv%% *}" in
            containerd | */containerd | containerd-shim* | */containerd-shim*) ;;
            *) continue ;;
        esac
        if [[ "$argv" == *"$PROCVIZ_DOCKER_STATE/"* ]]; then echo "$pid"; fi
    done
}
