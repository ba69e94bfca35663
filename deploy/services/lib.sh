# shellcheck shell=bash
# shellcheck disable=SC2034  # the variables here are used by the scripts that source this file
# Shared helpers for the dev/CI service scripts in deploy/services/.
# Sourced (not executed) by kafka.sh, elasticsearch.sh, up and down.
#
# Layout:
#   state: ${CANHGAC_SERVICES_DIR:-<repo>/var/services}/<service>/  (pid, ports, logs, data)
#          ${CANHGAC_SERVICES_DIR}/services.env                     (exports for the tests)
#   cache: ${CANHGAC_CACHE_DIR:-$HOME/.cache/canhgac}                (unpacked downloads)
#          ~/.m2/repository                                          (maven's own cache)

SERVICES_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${SERVICES_LIB_DIR}/../.." && pwd)"
STATE_DIR="${CANHGAC_SERVICES_DIR:-${REPO_ROOT}/var/services}"
CACHE_DIR="${CANHGAC_CACHE_DIR:-${HOME:-/root}/.cache/canhgac}"
# Pinned so that a plugin release cannot change behaviour under us; 3.8.1 runs on Maven 3.6.3+.
MVN_DEP_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }

# Monotonic-enough seconds for timings and timeouts.
now_s() { date +%s; }

# mvn in batch mode; output goes to the given log file, which is shown on failure.
run_mvn() {
    local logfile="$1"; shift
    command -v mvn >/dev/null 2>&1 || die "mvn not found on PATH (needed once, to download into ~/.m2)"
    if ! mvn -B -ntp "$@" >"${logfile}" 2>&1; then
        return 1
    fi
}

# Prints N distinct free TCP ports on 127.0.0.1, one per line.
# All sockets are held open together so the N ports differ; the kernel can in theory hand
# one out again before the service binds it, which is acceptable for dev/CI use.
free_ports() {
    local n="$1"
    if command -v python3 >/dev/null 2>&1; then
        python3 - "$n" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
for s in socks:
    print(s.getsockname()[1])
PY
        return
    fi
    # Fallback without python: probe a random window of 20000-29999 for ports nobody answers on.
    local port=$((20000 + RANDOM % 9000)) found=0
    while ((found < n && port < 30000)); do
        if ! port_open "${port}"; then
            echo "${port}"
            found=$((found + 1))
        fi
        port=$((port + 1))
    done
    ((found == n)) || die "could not find ${n} free ports"
}

# True if something accepts TCP connections on 127.0.0.1:PORT.
port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pid_alive() {
    [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null
}

# Command line of PID with NULs turned into spaces (empty if gone).
pid_cmdline() {
    tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null || true
}

# True if PID is alive and its command line carries MARKER (guards against pid reuse).
# Pattern matching in bash, not grep, so no helper process carries the marker in its argv.
pid_is_ours() {
    local pid="$1" marker="$2" cmd
    pid_alive "${pid}" || return 1
    cmd="$(pid_cmdline "${pid}")"
    [[ "${cmd}" == *"${marker}"* ]]
}

# Pids of all live processes whose command line contains MARKER (the marker embeds the
# absolute state dir, so it only matches processes these scripts started for this state dir).
pids_with_marker() {
    local marker="$1" d cmd
    for d in /proc/[0-9]*; do
        cmd="$(pid_cmdline "${d#/proc/}")"
        if [[ "${cmd}" == *"${marker}"* ]]; then
            echo "${d#/proc/}"
        fi
    done
}

read_file_or_empty() {
    if [[ -f "$1" ]]; then cat "$1"; fi
}

# Stops a service's processes: SIGTERM to the main pid, wait up to GRACE seconds, then SIGKILL
# the whole process group (the service was started as a session/group leader via setsid), and
# finally sweep any process still carrying the marker.
stop_processes() {
    local name="$1" pid="$2" pgid="$3" marker="$4" grace="${5:-30}"
    local deadline
    if pid_alive "${pid}"; then
        log "${name}: stopping pid ${pid} (SIGTERM)"
        kill -TERM "${pid}" 2>/dev/null || true
        deadline=$(($(now_s) + grace))
        while pid_alive "${pid}" && (($(now_s) < deadline)); do sleep 0.5; done
        if pid_alive "${pid}"; then
            log "${name}: pid ${pid} still alive after ${grace}s, sending SIGKILL"
            kill -KILL "${pid}" 2>/dev/null || true
        fi
    fi
    # Anything left in the group (e.g. a launcher) goes too.
    if [[ -n "${pgid}" ]] && kill -0 -- "-${pgid}" 2>/dev/null; then
        kill -TERM -- "-${pgid}" 2>/dev/null || true
        sleep 1
        kill -KILL -- "-${pgid}" 2>/dev/null || true
    fi
    local left
    left="$(pids_with_marker "${marker}")"
    if [[ -n "${left}" ]]; then
        log "${name}: killing leftover pid(s): $(echo "${left}" | tr '\n' ' ')"
        # shellcheck disable=SC2086  # one pid per word is intended
        kill -KILL ${left} 2>/dev/null || true
    fi
    # Wait for the kernel to reap them so ports are free when we return.
    deadline=$(($(now_s) + 10))
    while { pid_alive "${pid}" || [[ -n "$(pids_with_marker "${marker}")" ]]; } && (($(now_s) < deadline)); do
        sleep 0.2
    done
}

# Prints the last lines of each given log file that exists (for failure reports).
show_log_tail() {
    local f
    for f in "$@"; do
        [[ -f "${f}" ]] || continue
        printf '[services] ---- last 40 lines of %s ----\n' "${f}" >&2
        tail -n 40 "${f}" >&2
        printf '[services] ---- end of %s ----\n' "${f}" >&2
    done
}

# Rewrites STATE_DIR/services.env from the per-service env files of the running services.
write_services_env() {
    local out="${STATE_DIR}/services.env" tmp svc
    mkdir -p "${STATE_DIR}"
    tmp="$(mktemp "${STATE_DIR}/.services.env.XXXXXX")"
    {
        echo "# Written by deploy/services/up; source it before running the integration tests."
        for svc in kafka elasticsearch; do
            if [[ -f "${STATE_DIR}/${svc}/env" ]]; then
                cat "${STATE_DIR}/${svc}/env"
            fi
        done
    } >"${tmp}"
    mv -f "${tmp}" "${out}"
}

# Serialises up/down runs against one state dir.
take_lock() {
    mkdir -p "${STATE_DIR}"
    exec 9>"${STATE_DIR}/.lock"
    if command -v flock >/dev/null 2>&1; then
        flock -w 900 9 || die "another up/down holds ${STATE_DIR}/.lock"
    fi
}
