#!/usr/bin/env python3
"""Checks deploy/grafana/maskproxy.json against a rendered metrics page.

Usage: dashboard_check.py DASHBOARD.json METRICS.txt

Fails (exit 1, one line per problem) when:
  - a metric name a panel or a template variable queries (maskproxy_*) has
    no sample on the page (a dashboard panel that would stay empty);
  - a panel or target names a fixed data source instead of the
    ${datasource} variable (the dashboard must import into any Grafana);
  - the page carries no sample at all, or the dashboard queries nothing.
"""
import json
import re
import sys

NAME = re.compile(r"\bmaskproxy_[a-z0-9_]+")


def queries(dash):
    """Every PromQL text of the dashboard: panel targets and template queries."""
    for panel in dash.get("panels", []):
        for target in panel.get("targets", []):
            yield f"panel {panel.get('title')!r}", target.get("expr", "")
    for var in dash.get("templating", {}).get("list", []):
        q = var.get("query")
        if isinstance(q, dict):
            q = q.get("query", "")
        if var.get("type") == "query":
            yield f"variable {var.get('name')!r}", q or ""


def datasource_problems(dash):
    out = []
    for panel in dash.get("panels", []):
        for obj in [panel] + panel.get("targets", []):
            ds = obj.get("datasource")
            if ds is not None and ds.get("uid") != "${datasource}":
                out.append(f"panel {panel.get('title')!r}: data source {ds!r} is not the ${{datasource}} variable")
    return out


def main():
    dash_path, page_path = sys.argv[1], sys.argv[2]
    with open(dash_path, encoding="utf-8") as f:
        dash = json.load(f)
    with open(page_path, encoding="utf-8") as f:
        page = f.read()
    sampled = set()
    for line in page.splitlines():
        if not line or line.startswith("#"):
            continue
        sampled.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    problems = datasource_problems(dash)
    if not sampled:
        problems.append(f"{page_path}: no samples")
    names = {}
    for where, expr in queries(dash):
        for name in NAME.findall(expr):
            names.setdefault(name, where)
    if not names:
        problems.append(f"{dash_path}: queries no maskproxy_ metric")
    for name, where in sorted(names.items()):
        if name not in sampled:
            problems.append(f"{where}: {name} has no sample on the metrics page")
    for p in problems:
        print(f"dashboard_check: {p}")
    print(f"dashboard_check: {len(names)} metric names queried, {len(sampled)} sampled on the page, "
          f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
