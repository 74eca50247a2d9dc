#!/usr/bin/env bash
# Several dashboard replicas behind nginx on this machine: deploy/local.sh [N] (default 2).
#
#   PORT=8080            nginx's port (default 8080)
#   HOST=127.0.0.1       nginx's address; HOST=0.0.0.0 serves other machines too
#   PA_BENCHMARK_DB=...  the database every replica reads (default data/pa_benchmark.duckdb)
#   STREAMLIT_SERVER_COOKIE_SECRET=...  keep one secret across restarts (default: a new one per run)
#   KEEP=1               keep the run folder (logs, nginx.conf) after stopping
#
# The work is done by deploy/replicas.py (the browser test and bench/bench_replicas.py use it
# too): it prepares the database, starts N replicas on free loopback ports, renders
# deploy/nginx.conf.template into a temporary folder and runs nginx from there, in the
# foreground, with its own pid file and logs. Ctrl-C or SIGTERM stops everything it started.
# Works as root or as a normal user; only installing nginx needs root.
set -euo pipefail
cd "$(dirname "$0")/.."

replicas="${1:-2}"
case "$replicas" in
    '' | *[!0-9]* | 0) echo "usage: deploy/local.sh [N], N a number of replicas from 1" >&2; exit 2 ;;
esac

# nginx: Debian's package, installed when missing (as root; a normal user is told the command).
# Note: on a machine run by systemd, installing the package also starts Debian's own nginx on
# port 80; this script never uses that one (`systemctl disable --now nginx` stops it).
export PATH="$PATH:/usr/sbin:/sbin"
if ! command -v nginx >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        echo "Installing nginx (Debian package)..."
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null \
            || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; }
    else
        echo "nginx is not installed: run 'sudo apt-get install nginx' (Debian, Ubuntu) and try again." >&2
        exit 1
    fi
fi

# The repository's Python: $PYTHON, else its .venv, else uv (which makes the .venv from uv.lock).
if [ -n "${PYTHON:-}" ]; then
    run=("$PYTHON")
elif [ -x .venv/bin/python ]; then
    run=(.venv/bin/python)
else
    run=(uv run python)
fi

extra=()
[ "${KEEP:-}" = "1" ] && extra+=(--keep)

# Run the launcher in the background and wait for it, so that this shell's trap sees Ctrl-C and
# SIGTERM and hands them on; the launcher then stops nginx and the replicas before it exits.
"${run[@]}" -m deploy.replicas "$replicas" "${extra[@]}" &
launcher=$!
stop() {
    trap '' INT TERM
    kill -TERM "$launcher" 2>/dev/null || true
    wait "$launcher" 2>/dev/null || true
    exit 0
}
trap stop INT TERM
wait "$launcher"
