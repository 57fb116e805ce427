#!/usr/bin/env python3
"""Validates rendered Kubernetes manifests (kustomize build output) offline.

  k8s_check.py --bin MASKPROXY --keda-dir DIR [--extract OUTDIR] RENDERED.yaml...

1. Schema: every object of the Kubernetes API is checked against the models of
   the official Kubernetes Python client (no field the API does not have, the
   right type for every field, required fields present); a KEDA ScaledObject
   against the openAPIV3Schema of KEDA's own CRD, and its kafka trigger's
   metadata keys against the keys KEDA's Kafka scaler reads.
2. The binary: every container that runs the maskproxy image runs a command
   `maskproxy` has, with flags its --help lists; probes and the Prometheus
   annotations name endpoints the admin listener serves, on the port the
   mounted config listens on; the KEDA trigger's consumer group and topic are
   the config's group and a route's source topic; the memory limit is at least
   the documented bound.
3. --extract OUTDIR: for each maskproxy container, the mounted config and
   policies written under OUTDIR/<object>/ with the container's mount paths,
   and `args` (one per line) and `probes` (port path), so that a test can run
   the binary with exactly what the manifest would give it.

Exit 0 when everything holds; otherwise every problem on stderr as
`object: path: message`, exit 1.
"""

import argparse
import json
import os
import re
import subprocess
import sys

import yaml
from kubernetes import client as k8s

ADMIN_ENDPOINTS = {"/livez", "/readyz", "/metrics", "/config_dump", "/loglevel"}
MEMORY_BOUND_MIB = 256  # README: resident memory stays under 256 MB with the default limits

problems = []


class PolicyLoader(yaml.SafeLoader):
    """Policies carry tags (!match ...) that only the proxy reads."""


PolicyLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


def problem(obj, path, msg):
    problems.append(f"{obj}: {path}: {msg}")


# ---- 1a. Kubernetes API objects against the Python client's models ----------

PRIMITIVES = {"str": str, "int": int, "bool": bool, "float": (int, float)}


def model_class(api_version, kind):
    version = api_version.split("/")[-1]
    name = version[0].upper() + version[1:] + kind
    return getattr(k8s, name, None)


def check_model(obj, path, value, type_name):
    if value is None:
        return
    if type_name in PRIMITIVES:
        want = PRIMITIVES[type_name]
        if type_name == "int" and isinstance(value, bool) or not isinstance(value, want):
            problem(obj, path, f"expected {type_name}, got {type(value).__name__} {value!r}")
        return
    if type_name == "object":
        return  # IntOrString, Quantity, free-form
    if type_name == "datetime":
        return
    m = re.fullmatch(r"list\[(.+)\]", type_name)
    if m:
        if not isinstance(value, list):
            problem(obj, path, f"expected a list, got {type(value).__name__}")
            return
        for i, item in enumerate(value):
            check_model(obj, f"{path}[{i}]", item, m.group(1))
        return
    m = re.fullmatch(r"dict\(str, (.+)\)", type_name)
    if m:
        if not isinstance(value, dict):
            problem(obj, path, f"expected a map, got {type(value).__name__}")
            return
        for k, v in value.items():
            check_model(obj, f"{path}.{k}", v, m.group(1))
        return
    cls = getattr(k8s, type_name, None)
    if cls is None:
        problem(obj, path, f"unknown model {type_name}")
        return
    if not isinstance(value, dict):
        problem(obj, path, f"expected an object ({type_name}), got {type(value).__name__}")
        return
    by_json = {j: a for a, j in cls.attribute_map.items()}
    for key, v in value.items():
        attr = by_json.get(key)
        if attr is None:
            problem(obj, f"{path}.{key}", f"unknown field (not in {type_name})")
            continue
        check_model(obj, f"{path}.{key}", v, cls.openapi_types[attr])
    # Required fields: the model's constructor refuses None for them.
    try:
        cls(**{a: (_placeholder(cls.openapi_types[a]) if value.get(j) is not None else None)
               for a, j in cls.attribute_map.items()})
    except ValueError as e:
        problem(obj, path, f"{type_name}: {e}")


def _placeholder(type_name):
    # The constructor validates presence (and a few enums on strings); nested
    # values are checked by the recursion above, so hand it a neutral value.
    if type_name.startswith("list["):
        return []
    if type_name.startswith("dict("):
        return {}
    if type_name in ("str",):
        return "x"
    if type_name in ("int", "float"):
        return 1
    if type_name == "bool":
        return True
    return object()


# ---- 1b. KEDA ScaledObject against KEDA's CRD ----------------------------------

def keda_schema(keda_dir):
    crd = yaml.safe_load(open(os.path.join(keda_dir, "config/crd/bases/keda.sh_scaledobjects.yaml")))
    versions = {v["name"]: v["schema"]["openAPIV3Schema"] for v in crd["spec"]["versions"]}
    return versions


def kafka_trigger_keys(keda_dir):
    src = open(os.path.join(keda_dir, "pkg/scalers/kafka_scaler.go")).read()
    keys = set(re.findall(r'TriggerMetadata\["(\w+)"\]', src))
    keys |= set(re.findall(r'keda:"name=(\w+)', src))
    for const in re.findall(r'(\w+MetricName)\s*=\s*"(\w+)"', src):
        keys.add(const[1])
    return keys


def check_schema(obj, path, value, schema):
    if value is None:
        return
    if schema.get("x-kubernetes-int-or-string"):
        if not isinstance(value, (int, str)):
            problem(obj, path, "expected an int or a string")
        return
    t = schema.get("type")
    if t == "object":
        if not isinstance(value, dict):
            problem(obj, path, "expected an object")
            return
        props = schema.get("properties")
        for req in schema.get("required", []):
            if req not in value:
                problem(obj, path, f"missing required field {req}")
        for k, v in value.items():
            if props and k in props:
                check_schema(obj, f"{path}.{k}", v, props[k])
            elif "additionalProperties" in schema and isinstance(schema["additionalProperties"], dict):
                check_schema(obj, f"{path}.{k}", v, schema["additionalProperties"])
            elif props is not None and not schema.get("x-kubernetes-preserve-unknown-fields"):
                problem(obj, f"{path}.{k}", "unknown field (not in the CRD's schema)")
    elif t == "array":
        if not isinstance(value, list):
            problem(obj, path, "expected a list")
            return
        for i, item in enumerate(value):
            check_schema(obj, f"{path}[{i}]", item, schema.get("items", {}))
    elif t == "string":
        if not isinstance(value, str):
            problem(obj, path, f"expected a string, got {type(value).__name__} {value!r}")
        elif "enum" in schema and value not in schema["enum"]:
            problem(obj, path, f"{value!r} not one of {schema['enum']}")
    elif t == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            problem(obj, path, f"expected an integer, got {value!r}")
        elif "minimum" in schema and value < schema["minimum"]:
            problem(obj, path, f"{value} below the minimum {schema['minimum']}")
    elif t == "boolean":
        if not isinstance(value, bool):
            problem(obj, path, f"expected a boolean, got {value!r}")


# ---- 2. Against the binary ---------------------------------------------------

def run_help(binary, *cmd):
    out = subprocess.run([binary, *cmd, "--help"], capture_output=True, text=True)
    return out.stdout + out.stderr


def parse_quantity_mib(q):
    m = re.fullmatch(r"(\d+)(Mi|Gi|M|G)?", str(q))
    if not m:
        return None
    n = int(m.group(1))
    unit = m.group(2) or ""
    return {"Mi": n, "Gi": n * 1024, "M": n * 1000 * 1000 / 1048576, "G": n * 1e9 / 1048576, "": n / 1048576}[unit]


def maskproxy_containers(pod_spec):
    """Containers that run the maskproxy binary: the image's entrypoint with
    args (a container with its own command, the keys init container's shell,
    runs something else)."""
    for c in (pod_spec.get("initContainers") or []) + (pod_spec.get("containers") or []):
        if "maskproxy" in c.get("image", "") and not c.get("command"):
            yield c


def check_workload(name, doc, docs, binary, extract):
    pod = doc["spec"]["template"]["spec"]
    configmaps = {d["metadata"]["name"]: d for d in docs if d.get("kind") == "ConfigMap"}
    annotations = doc["spec"]["template"]["metadata"].get("annotations", {})
    for c in maskproxy_containers(pod):
        cname = f"{name}/{c['name']}"
        args = c.get("args") or []
        if not args:
            problem(cname, "args", "none: the image's entrypoint needs a command (run)")
            continue
        if args[0] != "run":
            problem(cname, "args[0]", f"'{args[0]}' is not a maskproxy command that serves (run)")
            continue
        help_text = run_help(binary, args[0])
        if "Options:" not in help_text:
            problem(cname, "args[0]", f"'{args[0]}' is not a maskproxy command")
            continue
        for i, a in enumerate(args[1:], 1):
            if a.startswith("--") and not re.search(rf"^\s+{re.escape(a)}\b", help_text, re.M):
                problem(cname, f"args[{i}]", f"'maskproxy {args[0]}' has no flag {a}")
        if "--config" not in args:
            problem(cname, "args", "no --config")
            continue
        config_path = args[args.index("--config") + 1]
        # The volumes: which ConfigMap lands where.
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        for t in doc["spec"].get("volumeClaimTemplates", []):
            volumes[t["metadata"]["name"]] = {"persistentVolumeClaim": {}}
        files = {}  # container path -> text
        for m in c.get("volumeMounts", []):
            v = volumes.get(m["name"])
            if v is None:
                problem(cname, f"volumeMounts.{m['name']}", "no such volume")
                continue
            if "configMap" in v:
                cm = configmaps.get(v["configMap"]["name"])
                if cm is None:
                    problem(cname, f"volumes.{m['name']}", f"ConfigMap {v['configMap']['name']} is not in the manifests")
                    continue
                if "subPath" in m:
                    files[m["mountPath"]] = cm["data"][m["subPath"]]
                else:
                    for k, text in cm["data"].items():
                        files[os.path.join(m["mountPath"], k)] = text
        if config_path not in files:
            problem(cname, "args", f"--config {config_path} is not mounted from a ConfigMap")
            continue
        cfg = yaml.safe_load(files[config_path])
        listen = (cfg.get("admin") or {}).get("listen", "127.0.0.1:9644")
        host, port = listen.rsplit(":", 1)
        if host in ("127.0.0.1", "localhost", "[::1]"):
            problem(cname, "config admin.listen", f"{listen}: a loopback address is not reachable by kubelet probes")
        ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
        probes = []
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            p = c.get(probe)
            if not p:
                if probe != "startupProbe":
                    problem(cname, probe, "missing")
                continue
            http = p.get("httpGet")
            if not http:
                problem(cname, probe, "not an httpGet probe")
                continue
            pport = ports.get(http["port"], http["port"])
            if str(pport) != port:
                problem(cname, f"{probe}.httpGet.port", f"{http['port']} is {pport}, the config listens on {port}")
            if http["path"] not in ADMIN_ENDPOINTS:
                problem(cname, f"{probe}.httpGet.path", f"{http['path']} is not an admin endpoint")
            probes.append((pport, http["path"], probe))
        if annotations.get("prometheus.io/scrape") == "true":
            if annotations.get("prometheus.io/port") != port:
                problem(name, "annotations prometheus.io/port", f"{annotations.get('prometheus.io/port')} but the config listens on {port}")
            path = annotations.get("prometheus.io/path", "/metrics")
            if path != "/metrics":
                problem(name, "annotations prometheus.io/path", f"{path} is not /metrics")
            probes.append((port, path, "prometheus"))
        else:
            problem(name, "annotations", "no prometheus.io/scrape")
        limits = (c.get("resources") or {}).get("limits") or {}
        mem = parse_quantity_mib(limits.get("memory", "0"))
        if mem is None or mem < MEMORY_BOUND_MIB:
            problem(cname, "resources.limits.memory", f"{limits.get('memory')} is below the documented bound of {MEMORY_BOUND_MIB} MB")
        if not (c.get("resources") or {}).get("requests", {}).get("cpu"):
            problem(cname, "resources.requests.cpu", "missing")
        if extract:
            out = os.path.join(extract, re.sub(r"[^A-Za-z0-9.-]+", "-", name).lower())
            os.makedirs(out, exist_ok=True)
            for path, text in files.items():
                dst = os.path.join(out, "root", path.lstrip("/"))
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                with open(dst, "w") as f:
                    f.write(text)
            with open(os.path.join(out, "args"), "w") as f:
                f.write("\n".join(args) + "\n")
            with open(os.path.join(out, "probes"), "w") as f:
                f.write("".join(f"{p} {path} {what}\n" for p, path, what in probes))
            # The pod's shell init containers (the keys' copy), one script a
            # line, for the test to run as kubelet would before the proxy.
            with open(os.path.join(out, "init"), "w") as f:
                for ic in pod.get("initContainers") or []:
                    cmd = ic.get("command") or []
                    if len(cmd) == 3 and cmd[:2] == ["/bin/sh", "-c"]:
                        f.write(cmd[2].replace("\n", " ") + "\n")
            with open(os.path.join(out, "config.json"), "w") as f:
                json.dump(cfg, f)
        yield cfg, files


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--keda-dir", required=True)
    ap.add_argument("--extract")
    ap.add_argument("manifests", nargs="+")
    a = ap.parse_args()

    schemas = keda_schema(a.keda_dir)
    kafka_keys = kafka_trigger_keys(a.keda_dir)
    for path in a.manifests:
        docs = [d for d in yaml.safe_load_all(open(path)) if d]
        configs = []
        for d in docs:
            name = f"{os.path.basename(path).removesuffix('.yaml')}:{d.get('kind')}/{d.get('metadata', {}).get('name')}"
            api, kind = d.get("apiVersion", ""), d.get("kind", "")
            if api.startswith("keda.sh/"):
                schema = schemas.get(api.split("/")[1])
                if schema is None:
                    problem(name, "apiVersion", f"KEDA {KEDA_VERSION_HINT} has no {api}")
                    continue
                check_schema(name, "", d, schema)
                continue
            cls = model_class(api, kind)
            if cls is None:
                problem(name, "kind", f"no Kubernetes model for {api} {kind}")
                continue
            check_model(name, "", d, cls.__name__)
            if kind in ("StatefulSet", "Deployment"):
                configs += [(name, cfg, files) for cfg, files in check_workload(name, d, docs, a.bin, a.extract)]
        for d in docs:
            if d.get("kind") != "ScaledObject":
                continue
            name = f"{os.path.basename(path).removesuffix('.yaml')}:ScaledObject/{d['metadata']['name']}"
            target = d["spec"]["scaleTargetRef"]
            if not any(x.get("kind") == target.get("kind", "Deployment") and x["metadata"]["name"] == target["name"] for x in docs):
                problem(name, "spec.scaleTargetRef", f"{target} is not in the manifests")
            for i, t in enumerate(d["spec"].get("triggers", [])):
                if t["type"] != "kafka":
                    continue
                for k in t["metadata"]:
                    if k not in kafka_keys:
                        problem(name, f"spec.triggers[{i}].metadata.{k}", "KEDA's Kafka scaler reads no such key")
                for _, cfg, files in configs:
                    group = cfg["source"]["group_id"]
                    if t["metadata"].get("consumerGroup") != group:
                        problem(name, f"spec.triggers[{i}].metadata.consumerGroup", f"{t['metadata'].get('consumerGroup')} but the proxy's group is {group}")
                    sources = set()
                    for p, text in files.items():
                        if p.endswith(".yaml") and "routes" in text:
                            for r in (yaml.load(text, Loader=PolicyLoader) or {}).get("routes", []) or []:
                                sources.add(r.get("from"))
                    if t["metadata"].get("topic") not in sources:
                        problem(name, f"spec.triggers[{i}].metadata.topic", f"{t['metadata'].get('topic')} is not a route's source ({sorted(s for s in sources if s)})")

    for p in problems:
        print(p, file=sys.stderr)
    print(f"k8s_check: {len(a.manifests)} files, {len(problems)} problems", file=sys.stderr)
    return 1 if problems else 0


KEDA_VERSION_HINT = os.environ.get("KEDA_VERSION", "")

if __name__ == "__main__":
    sys.exit(main())
