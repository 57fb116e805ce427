#!/usr/bin/env bash
# The metrics page of a real run (the pipeline on librdkafka's mock cluster,
# PipelineMock.MetricsDescribeWhatARunProtected, which writes
# metrics::Global().Render() to $MASKPROXY_METRICS_OUT while it runs):
#   1. Prometheus' own `promtool check metrics` accepts it (format and lint);
#   2. every metric deploy/grafana/maskproxy.json queries has a sample on it.
# Usage: dashboard_test.sh UNIT_TESTS_BINARY
set -euo pipefail
unit="${1:-}"
[[ -n "$unit" && -x "$unit" ]] || { echo "dashboard_test: no unit_tests binary ('$unit'): configure with MASKPROXY_UNIT_TESTS=ON, or MASKPROXY_UNIT_TESTS_BINARY=<a build's tests/unit_tests>" >&2; exit 1; }
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
command -v promtool >/dev/null || { echo "dashboard_test: promtool not found (Debian package prometheus; scripts/setup.sh installs it)" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
page="$tmp/metrics.txt"
MASKPROXY_METRICS_OUT="$page" "$unit" --gtest_filter='PipelineMock.MetricsDescribeWhatARunProtected' --gtest_brief=1
[[ -s "$page" ]] || { echo "dashboard_test: the run wrote no metrics page" >&2; exit 1; }
echo "dashboard_test: $(grep -vc '^#' "$page") samples in $(grep -c '^# TYPE' "$page") families"
if ! promtool check metrics <"$page"; then
  echo "dashboard_test: promtool check metrics refused the page" >&2
  exit 1
fi
echo "dashboard_test: promtool check metrics: ok"
python3 "$here/dashboard_check.py" "$root/deploy/grafana/maskproxy.json" "$page"
