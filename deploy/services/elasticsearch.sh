#!/usr/bin/env bash
# Single-node Elasticsearch for dev/CI.
#
# Usage: deploy/services/elasticsearch.sh fetch|start|stop|status|health
#
# The distribution is Maven Central's org.elasticsearch.distribution.integ-test-zip:elasticsearch
# (the minimal "integ-test" zip: no bundled JDK, only the transport-netty4, apm, x-pack-core and
# x-pack-security modules), unzipped once into the cache. It runs on an external JDK (25 by
# default) and, because Elasticsearch refuses to run as root, as a dedicated system user when
# these scripts run as root. Each start gets a fresh config/data/logs dir and new free ports.
#
# Environment knobs:
#   CANHGAC_ES_VERSION        pin one version (default: first of 9.5.2 9.5.1 9.5.0 that resolves)
#   CANHGAC_ES_JAVA_HOME      JDK for Elasticsearch (default /usr/lib/jvm/temurin-25-jdk-amd64)
#   CANHGAC_ES_HEAP_OPTS      default "-Xms512m -Xmx512m"
#   CANHGAC_ES_USER           system user used when running as root (default canhgac-es)
#   CANHGAC_ES_SHARED_DIR     where, as root, the install and node dirs go when the cache or
#                             state dir is not reachable by that user, e.g. under /root
#                             (default /var/lib/canhgac-es)
#   CANHGAC_ES_START_TIMEOUT  seconds to wait for health (default 180)
#   CANHGAC_ES_SECURITY_DIR   a node with security on (the site's settings): the dir holds
#                             elasticsearch.yml (settings appended to the generated ones, from
#                             deploy/site_description.py), certs/ (copied to config/certs) and
#                             users (lines "name:password:role" for the file realm) and,
#                             optionally, roles.yml (file-realm roles); HTTPS then
set -euo pipefail

# shellcheck source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

ES_STATE="${STATE_DIR}/elasticsearch"
ES_CANDIDATES="${CANHGAC_ES_VERSION:-9.5.2 9.5.1 9.5.0}"
ES_JAVA="${CANHGAC_ES_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
ES_USER="${CANHGAC_ES_USER:-canhgac-es}"
ES_SHARED="${CANHGAC_ES_SHARED_DIR:-/var/lib/canhgac-es}"
ES_CLUSTER="canhgac-dev"
# Embedded in the server JVM's command line so stop/status only ever touch our own node.
ES_MARKER="-Dcanhgac.service=elasticsearch@${ES_STATE}"

is_root() { [[ "$(id -u)" == 0 ]]; }

# Runs a command as the Elasticsearch user (as root) or as ourselves (otherwise).
as_es() {
    if is_root; then
        setpriv --reuid="${ES_USER}" --regid="${ES_USER}" --init-groups -- "$@"
    else
        "$@"
    fi
}

es_ensure_user() {
    is_root || return 0
    if ! getent passwd "${ES_USER}" >/dev/null; then
        log "elasticsearch: creating system user ${ES_USER}"
        useradd --system --user-group --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "${ES_USER}"
    fi
}

# True if the Elasticsearch user can enter existing directory $1 (all its ancestors included).
es_can_enter() { as_es test -x "$1" -a -r "$1"; }

# Directory holding unpacked distributions: the cache, unless (as root) the ES user cannot
# reach it, as with the default cache under /root (mode 700).
es_dist_base() {
    mkdir -p "${CACHE_DIR}"
    if es_can_enter "${CACHE_DIR}"; then
        echo "${CACHE_DIR}"
    else
        mkdir -p "${ES_SHARED}/dist"
        chmod 755 "${ES_SHARED}" "${ES_SHARED}/dist"
        echo "${ES_SHARED}/dist"
    fi
}

es_unzip() {
    local zip="$1" dest="$2"
    if command -v unzip >/dev/null 2>&1; then
        unzip -q "${zip}" -d "${dest}"
    else
        # Python's zipfile drops unix modes; put them back from the archive's external attrs.
        python3 - "${zip}" "${dest}" <<'PY'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for info in z.infolist():
        path = z.extract(info, sys.argv[2])
        mode = (info.external_attr >> 16) & 0o777
        if mode:
            os.chmod(path, mode)
PY
    fi
}

# Downloads and unpacks version $1 into base dir $2. Returns non-zero if it can't.
es_fetch_version() {
    local ver="$1" base="$2" tmp
    tmp="$(mktemp -d "${base}/.es-download.XXXXXX")"
    if ! run_mvn "${tmp}/mvn.log" "${MVN_DEP_PLUGIN}:copy" \
        -Dartifact="org.elasticsearch.distribution.integ-test-zip:elasticsearch:${ver}:zip" \
        -DoutputDirectory="${tmp}"; then
        cp -f "${tmp}/mvn.log" "${base}/mvn-elasticsearch-${ver}.log" 2>/dev/null || true
        rm -rf "${tmp}"
        log "elasticsearch ${ver}: not available from Maven (see ${base}/mvn-elasticsearch-${ver}.log)"
        return 1
    fi
    es_unzip "${tmp}/elasticsearch-${ver}.zip" "${tmp}"
    rm -rf "${base:?}/elasticsearch-${ver}"
    mv "${tmp}/elasticsearch-${ver}" "${base}/elasticsearch-${ver}"
    rm -rf "${tmp}"
    # Read-only for everyone else: the node runs as another user but never writes here.
    chmod -R go+rX,go-w "${base}/elasticsearch-${ver}"
    touch "${base}/elasticsearch-${ver}/.complete"
    log "elasticsearch ${ver}: unpacked into ${base}/elasticsearch-${ver}"
}

# Sets ES_VERSION and ES_HOME, downloading on first use.
es_fetch() {
    local base ver
    es_ensure_user
    base="$(es_dist_base)"
    for ver in ${ES_CANDIDATES}; do
        if [[ -f "${base}/elasticsearch-${ver}/.complete" ]]; then
            ES_VERSION="${ver}"; ES_HOME="${base}/elasticsearch-${ver}"
            return 0
        fi
    done
    for ver in ${ES_CANDIDATES}; do
        log "elasticsearch ${ver}: downloading with maven (first run only)"
        if es_fetch_version "${ver}" "${base}"; then
            ES_VERSION="${ver}"; ES_HOME="${base}/elasticsearch-${ver}"
            return 0
        fi
    done
    die "no Elasticsearch version out of '${ES_CANDIDATES}' could be downloaded"
}

es_port() { read_file_or_empty "${ES_STATE}/port"; }
es_node_dir() { read_file_or_empty "${ES_STATE}/node_dir"; }

# Pid of the server JVM (written by Elasticsearch itself once it is up).
es_pid() {
    local node
    node="$(es_node_dir)"
    [[ -n "${node}" ]] && read_file_or_empty "${node}/es.pid"
}

es_scheme() { if [[ -n "${CANHGAC_ES_SECURITY_DIR:-}" ]]; then echo https; else echo http; fi; }

# The file-realm users of CANHGAC_ES_SECURITY_DIR/users, made with the distribution's tool.
es_add_users() {
    local user password role
    while IFS=: read -r user password role; do
        [[ -n "${user}" ]] || continue
        env -i PATH=/usr/bin:/bin LANG=C.UTF-8 ES_JAVA_HOME="${ES_JAVA}" ES_PATH_CONF="${ES_NODE}/config" \
            "${ES_HOME}/bin/elasticsearch-users" useradd "${user}" -p "${password}" -r "${role}" \
            >>"${ES_STATE}/users.log" 2>&1 || { show_log_tail "${ES_STATE}/users.log"; die "elasticsearch: useradd ${user} failed"; }
    done <"${CANHGAC_ES_SECURITY_DIR}/users"
}

es_running() {
    local pid
    pid="$(es_pid)" || return 1
    pid_is_ours "${pid}" "${ES_MARKER}"
}

# Health: the cluster answers /_cluster/health as ours with status yellow or green.
es_health() {
    local port out
    port="$(es_port)"
    [[ -n "${port}" ]] || return 1
    local -a auth=()
    local user password
    if [[ -n "${CANHGAC_ES_SECURITY_DIR:-}" ]]; then
        IFS=: read -r user password _ <"${CANHGAC_ES_SECURITY_DIR}/users"
        auth=(--cacert "${CANHGAC_ES_SECURITY_DIR}/certs/ca.crt" -u "${user}:${password}")
    fi
    out="$(curl -sS -m 5 "${auth[@]}" "$(es_scheme)://127.0.0.1:${port}/_cluster/health?wait_for_status=yellow&timeout=2s" 2>/dev/null)" || return 1
    [[ "${out}" == *"\"cluster_name\":\"${ES_CLUSTER}\""* ]] || return 1
    [[ "${out}" == *'"status":"yellow"'* || "${out}" == *'"status":"green"'* ]]
}

# Chooses and prepares a fresh node dir (config, data, logs, tmp) the ES user can write.
es_prepare_node_dir() {
    local node
    mkdir -p "${ES_STATE}"
    rm -f "${ES_STATE}/node_dir"
    if es_can_enter "${ES_STATE}"; then
        node="${ES_STATE}/node"
    else
        # State dir unreachable for the ES user (e.g. a checkout under /root): keep the node
        # dir in the shared dir, one per state dir, and leave a symlink to it in the state dir.
        node="${ES_SHARED}/run/$(printf '%s' "${ES_STATE}" | sha1sum | cut -c1-12)"
        mkdir -p "${ES_SHARED}/run"
        chmod 755 "${ES_SHARED}" "${ES_SHARED}/run"
    fi
    rm -rf "${node:?}"
    mkdir -p "${node}/data" "${node}/logs" "${node}/tmp"
    cp -R "${ES_HOME}/config" "${node}/config"
    if [[ "${node}" != "${ES_STATE}/node" ]]; then
        rm -rf "${ES_STATE}/node"
        ln -s "${node}" "${ES_STATE}/node"
    fi
    echo "${node}" >"${ES_STATE}/node_dir"
    ES_NODE="${node}"
}

es_write_config() {
    local port="$1" tport="$2"
    {
        echo "# Generated by deploy/services/elasticsearch.sh for a throwaway dev/CI node."
        echo "cluster.name: ${ES_CLUSTER}"
        echo "node.name: ${ES_CLUSTER}-node"
        echo "discovery.type: single-node"
        echo "network.host: 127.0.0.1"
        echo "http.host: 127.0.0.1"
        echo "http.port: ${port}"
        echo "transport.port: ${tport}"
        echo "path.data: ${ES_NODE}/data"
        echo "path.logs: ${ES_NODE}/logs"
        # Dev/CI disks are often nearly full; do not let watermarks block shard allocation.
        echo "cluster.routing.allocation.disk.threshold_enabled: false"
        # Only a distribution with the security module knows this setting; an unknown
        # setting would stop the node from starting.
        if [[ -n "${CANHGAC_ES_SECURITY_DIR:-}" ]]; then
            cat "${CANHGAC_ES_SECURITY_DIR}/elasticsearch.yml"
        elif [[ -d "${ES_HOME}/modules/x-pack-security" ]]; then
            echo "xpack.security.enabled: false"
        fi
    } >"${ES_NODE}/config/elasticsearch.yml"
    if [[ -n "${CANHGAC_ES_SECURITY_DIR:-}" ]]; then
        cp -R "${CANHGAC_ES_SECURITY_DIR}/certs" "${ES_NODE}/config/certs"
        if [[ -f "${CANHGAC_ES_SECURITY_DIR}/roles.yml" ]]; then
            cp "${CANHGAC_ES_SECURITY_DIR}/roles.yml" "${ES_NODE}/config/roles.yml"
        fi
        es_add_users
    fi
}

es_start() {
    local t0 port tport launcher launcher_rc="" pid="" deadline timeout_s
    t0="$(now_s)"
    mkdir -p "${ES_STATE}"
    if es_running; then
        if es_health; then
            log "elasticsearch: already running (pid $(es_pid), 127.0.0.1:$(es_port)), reusing"
            return 0
        fi
        log "elasticsearch: running but unhealthy, restarting"
        es_stop
    fi
    [[ -x "${ES_JAVA}/bin/java" ]] || die "no JDK at ${ES_JAVA} (Elasticsearch 9 needs 21+); set CANHGAC_ES_JAVA_HOME"
    es_fetch
    rm -f "${ES_STATE}/env" "${ES_STATE}/pgid"
    es_prepare_node_dir
    { read -r port; read -r tport; } < <(free_ports 2)
    echo "${port}" >"${ES_STATE}/port"
    es_write_config "${port}" "${tport}"
    if is_root; then
        chown -R "${ES_USER}:${ES_USER}" "${ES_NODE}"
    fi

    log "elasticsearch ${ES_VERSION}: starting on http://127.0.0.1:${port} (transport ${tport})"
    # env -i: the node sees only what is listed here. -d -p: the launcher starts the server
    # JVM, waits until it is up, writes the pid file and exits; we poll health meanwhile.
    local -a cmd=(env -i
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
        HOME="${ES_NODE}" LANG=C.UTF-8
        ES_JAVA_HOME="${ES_JAVA}" ES_PATH_CONF="${ES_NODE}/config" ES_TMPDIR="${ES_NODE}/tmp"
        ES_JAVA_OPTS="${CANHGAC_ES_HEAP_OPTS:--Xms512m -Xmx512m} ${ES_MARKER}"
        "${ES_HOME}/bin/elasticsearch" -d -p "${ES_NODE}/es.pid")
    if is_root; then
        # setpriv execs directly (no PAM session, no extra parent process), unlike su/runuser.
        cmd=(setpriv --reuid="${ES_USER}" --regid="${ES_USER}" --init-groups -- "${cmd[@]}")
    fi
    # `exec setsid` in a forked (non-group-leader) subshell keeps $! == the launcher, which
    # leads a new process group that the server JVM inherits (used by stop as a last resort).
    # 9>&-: do not let the node inherit up/down's lock fd (it would hold the lock forever).
    # The file-descriptor limit is raised where allowed (root may) to quiet a bootstrap warning;
    # bootstrap checks are only enforced for non-loopback nodes, so failing to raise it is fine.
    (cd "${ES_NODE}" && { ulimit -n 65535 2>/dev/null || true; } \
        && exec setsid "${cmd[@]}" </dev/null >"${ES_STATE}/launcher.log" 2>&1 9>&-) &
    launcher=$!
    echo "${launcher}" >"${ES_STATE}/pgid"

    timeout_s="${CANHGAC_ES_START_TIMEOUT:-180}"
    deadline=$(($(now_s) + timeout_s))
    until es_health; do
        if [[ -z "${launcher_rc}" ]] && ! pid_alive "${launcher}"; then
            launcher_rc=0
            wait "${launcher}" || launcher_rc=$?
            if [[ "${launcher_rc}" != 0 ]]; then
                show_log_tail "${ES_STATE}/launcher.log" "${ES_NODE}/logs/${ES_CLUSTER}.log"
                es_stop >/dev/null 2>&1 || true
                die "elasticsearch: launcher exited with ${launcher_rc} during startup"
            fi
        fi
        pid="$(es_pid)" || true
        if [[ -n "${launcher_rc}" && -n "${pid}" ]] && ! pid_alive "${pid}"; then
            show_log_tail "${ES_STATE}/launcher.log" "${ES_NODE}/logs/${ES_CLUSTER}.log"
            die "elasticsearch: server process ${pid} died during startup"
        fi
        if (($(now_s) >= deadline)); then
            show_log_tail "${ES_STATE}/launcher.log" "${ES_NODE}/logs/${ES_CLUSTER}.log"
            es_stop
            die "elasticsearch: not healthy after ${timeout_s}s (logs: ${ES_NODE}/logs)"
        fi
        sleep 1
    done
    echo "export CANHGAC_TEST_ES_URL=$(es_scheme)://127.0.0.1:${port}" >"${ES_STATE}/env"
    log "elasticsearch ${ES_VERSION}: healthy after $(($(now_s) - t0))s (pid $(es_pid))"
}

es_stop() {
    local pid pgid
    pid="$(es_pid)" || true
    if [[ -n "${pid}" ]] && ! pid_is_ours "${pid}" "${ES_MARKER}"; then
        pid="" # stale pid file, or the pid now belongs to someone else
    fi
    pgid="$(read_file_or_empty "${ES_STATE}/pgid")"
    # Only trust the recorded process group while it still holds our server or our launcher
    # (a pid, once free, can be reused by an unrelated process).
    if [[ -n "${pgid}" ]]; then
        if [[ -n "${pid}" && "$(ps -o pgid= -p "${pid}" | tr -d ' ')" == "${pgid}" ]]; then
            :
        elif [[ -n "$(es_node_dir)" ]] && pid_is_ours "${pgid}" "$(es_node_dir)/es.pid"; then
            :
        else
            pgid=""
        fi
    fi
    # Elasticsearch flushes and closes shards on SIGTERM; give it time before SIGKILL.
    stop_processes elasticsearch "${pid}" "${pgid}" "${ES_MARKER}" 60
    rm -f "${ES_STATE}/env" "${ES_STATE}/pgid"
    log "elasticsearch: stopped"
}

es_status() {
    if es_running; then
        echo "elasticsearch: running pid $(es_pid) on http://127.0.0.1:$(es_port) rss=$(ps -o rss= -p "$(es_pid)" | tr -d ' ')KiB"
    else
        echo "elasticsearch: not running"
        return 1
    fi
}

case "${1:-}" in
    fetch) es_fetch; log "elasticsearch ${ES_VERSION} cached in ${ES_HOME}" ;;
    start) es_start ;;
    stop) es_stop ;;
    status) es_status ;;
    health) es_running && es_health ;;
    *) echo "usage: $0 fetch|start|stop|status|health" >&2; exit 2 ;;
esac
