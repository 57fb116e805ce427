# shellcheck shell=bash
# Shared settings for scripts/setup.sh and scripts/kafka.sh.
# Source this file; do not run it.
#
# Environment (all optional):
#   KAFKA_VERSION       Apache Kafka broker version to use (default below)
#   MASKPROXY_CACHE     cache root, outside the source tree
#                       (default: $HOME/.cache/maskproxy)

# The pinned broker version. Change it here (only here) to move the project.
MASKPROXY_DEFAULT_KAFKA_VERSION=4.1.1

KAFKA_VERSION="${KAFKA_VERSION:-$MASKPROXY_DEFAULT_KAFKA_VERSION}"

if [[ -z "${HOME:-}" ]]; then
    HOME="$(getent passwd "$(id -u)" | cut -d: -f6)"
fi
MASKPROXY_CACHE="${MASKPROXY_CACHE:-$HOME/.cache/maskproxy}"

# Layout of one fetched broker:
#   $MASKPROXY_KAFKA_HOME/libs/*.jar       runtime classpath
#   $MASKPROXY_KAFKA_HOME/config/...       logging configs written by setup.sh
#   $MASKPROXY_KAFKA_HOME/.complete        stamp: present only when complete
MASKPROXY_KAFKA_HOME="$MASKPROXY_CACHE/kafka-$KAFKA_VERSION"
MASKPROXY_KAFKA_LIBS="$MASKPROXY_KAFKA_HOME/libs"
MASKPROXY_KAFKA_CONFIG="$MASKPROXY_KAFKA_HOME/config"
MASKPROXY_KAFKA_STAMP="$MASKPROXY_KAFKA_HOME/.complete"

# The tools that validate deploy/k8s (tests/deploy/k8s_test.sh), pinned:
# kustomize from the Go module proxy, KEDA's CRDs and Kafka scaler source
# (the ScaledObject's schema and trigger keys) from the same proxy, and the
# official Kubernetes Python client's models (PyPI).
KUSTOMIZE_VERSION="${KUSTOMIZE_VERSION:-5.5.0}"
KEDA_VERSION="${KEDA_VERSION:-2.16.1}"
KUBERNETES_PY_VERSION="${KUBERNETES_PY_VERSION:-31.0.0}"
MASKPROXY_K8S_HOME="$MASKPROXY_CACHE/k8s-tools"
MASKPROXY_KUSTOMIZE="$MASKPROXY_K8S_HOME/bin/kustomize"
MASKPROXY_KEDA_DIR_FILE="$MASKPROXY_K8S_HOME/keda-$KEDA_VERSION.dir"
# Extra jars of the peer benchmark (bench/peers/), at the broker's version:
# Kafka Connect's MirrorMaker 2 connectors (connect-mirror, connect-mirror-
# client). The rest of Connect (runtime, json, transforms) and the tools
# (TransactionalMessageCopier) are already on the broker's classpath.
MASKPROXY_PEERS_HOME="$MASKPROXY_CACHE/kafka-peers-$KAFKA_VERSION"
MASKPROXY_PEERS_LIBS="$MASKPROXY_PEERS_HOME/libs"
MASKPROXY_PEERS_STAMP="$MASKPROXY_PEERS_HOME/.complete"

# True when setup.sh has fetched the peer benchmark's jars.
peers_installed() {
    [[ -f "$MASKPROXY_PEERS_STAMP" && -d "$MASKPROXY_PEERS_LIBS" ]]
}

# Major version number of $KAFKA_VERSION (e.g. 4 for 4.1.1).
kafka_major() {
    printf '%s\n' "${KAFKA_VERSION%%.*}"
}

# True when setup.sh has fetched the broker completely.
kafka_installed() {
    [[ -f "$MASKPROXY_KAFKA_STAMP" && -d "$MASKPROXY_KAFKA_LIBS" ]]
}

# JVM system properties that select the logging config shipped by setup.sh.
# $1: "broker" (INFO to stdout) or "tools" (WARN to stderr).
kafka_logging_opts() {
    local kind="$1"
    if (( $(kafka_major) >= 4 )); then
        printf '%s\n' "-Dlog4j2.configurationFile=$MASKPROXY_KAFKA_CONFIG/$kind-log4j2.properties"
    else
        printf '%s\n' "-Dlog4j.configuration=file:$MASKPROXY_KAFKA_CONFIG/$kind-log4j.properties"
    fi
}
