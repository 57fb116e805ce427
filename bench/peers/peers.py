#!/usr/bin/env python3
"""The peer benchmark's driver (bench/peers/run.sh prepares and calls it).

Drain mode: pre-fills a topic with the reference events, then drains it with
each contender in turn (order rotated per round), a fresh destination topic,
consumer group and transactional id per run. A kcat consumer (read_committed)
counts the destination; a sampler reads /proc every 100 ms for the CPU time
and peak RSS of the contender's process tree and the broker's CPU time.

Latency mode: for each of none/a/b/c, a fresh source topic, the contender
started on it, and bench/peers/java/Latency.java producing at RATE and
measuring arrival - send on the destination (read_committed).

Configuration comes from the environment (see run.sh --help).
"""
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time

ENV = os.environ
ROOT = ENV["PEERS_ROOT"]
BIN = ENV["PEERS_BIN"]
BOOTSTRAP = ENV["PEERS_BOOTSTRAP"]
BROKER_PID = int(ENV["PEERS_BROKER_PID"])
WORK = ENV["PEERS_WORK"]
CLASSPATH = ENV["PEERS_CLASSPATH"]  # our classes + the broker's jars
CONNECT_CLASSPATH = ENV["PEERS_CONNECT_CLASSPATH"]  # + connect-mirror
TOOLS_LOG = ENV["PEERS_TOOLS_LOG"]  # -Dlog4j2.configurationFile=... (WARN to stderr)

RECORDS = int(ENV.get("RECORDS", "300000"))
RECORD_BYTES = int(ENV.get("RECORD_BYTES", "1024"))
PARTITIONS = int(ENV.get("PARTITIONS", "6"))
ROUNDS = int(ENV.get("ROUNDS", "3"))
MODE = ENV.get("MODE", "drain")
CONTENDERS = [c for c in ENV.get("CONTENDERS", "a,b,c,d,e,f").split(",") if c]
PROXY_SET = ENV.get("PROXY_SET", "")
TIMEOUT = float(ENV.get("TIMEOUT", str(max(90, RECORDS / 500))))
RATE = ENV.get("RATE", "")
DURATION = float(ENV.get("DURATION", "30"))
WARMUP = float(ENV.get("WARMUP", "5"))
RUN_ID = ENV.get("PEERS_RUN_ID", f"peers-{int(time.time())}")

HZ = os.sysconf("SC_CLK_TCK")

NAMES = {
    "a": "maskproxy, pass-through policy, exactly-once",
    "b": "maskproxy, `policies/payments.yaml`, exactly-once",
    "c": "maskproxy, `policies/payments.yaml`, at-least-once",
    "d": "plain Java exactly-once copier, stock defaults (no masking)",
    "e": "Kafka `TransactionalMessageCopier` (exactly-once, no masking)",
    "f": "Kafka Connect MirrorSource + JsonToMap + Flatten + MaskField (at-least-once)",
    "none": "no proxy (source read directly)",
}
EXACTLY_ONCE = {"a", "b", "d", "e"}
MASK_FIELDS = ["user.rrn", "user.phone", "user.email", "user.name", "user.address", "payment.card.number",
               "payment.card.holder", "payment.card.expiry", "transfer.account", "memo"]


T_START = time.time()


def log(msg):
    print(f"[{time.time() - T_START:6.1f}s] {msg}", file=sys.stderr, flush=True)


def uptime():
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def java(classpath, *args, log_opts=True):
    cmd = ["java"]
    if log_opts:
        cmd.append(TOOLS_LOG)
    return cmd + ["-cp", classpath, *args]


def create_topics(partitions, *names):
    subprocess.run(java(CLASSPATH, "Topics", BOOTSTRAP, str(partitions), *names), check=True,
                   stdout=subprocess.DEVNULL)


# --------------------------------------------------------------- /proc --

def proc_stat(pid):
    """(ppid, utime+stime ticks) of pid, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except OSError:
        return None
    rest = s[s.rindex(")") + 2:].split()
    return int(rest[1]), int(rest[11]) + int(rest[12])


def vm_hwm_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree(root):
    """root and its descendants (live)."""
    children = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = proc_stat(int(d))
            if st:
                children.setdefault(st[0], []).append(int(d))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


class Sampler(threading.Thread):
    """Every 100 ms: (time, contender tree CPU ticks, broker CPU ticks); peak RSS."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.samples, self.hwm_kb, self.stop = pid, [], 0, threading.Event()
        self.last = {}  # pid -> ticks (a process that exits keeps its last reading)

    def sample(self):
        pids = tree(self.pid)
        hwm = 0
        for p in pids:
            st = proc_stat(p)
            if st:
                self.last[p] = st[1]
            hwm += vm_hwm_kb(p)
        self.hwm_kb = max(self.hwm_kb, hwm)
        broker = proc_stat(BROKER_PID)
        self.samples.append((time.time(), sum(self.last.values()), broker[1] if broker else 0))

    def run(self):
        while not self.stop.is_set():
            self.sample()
            time.sleep(0.1)

    def at(self, t, after):
        """The sample just before (after=False) or just after (after=True) t."""
        if after:
            return next((s for s in self.samples if s[0] >= t), self.samples[-1])
        return next((s for s in reversed(self.samples) if s[0] <= t), self.samples[0])


class Counter(threading.Thread):
    """Counts the records of a topic with kcat (read_committed), with times."""

    def __init__(self, topic):
        super().__init__(daemon=True)
        self.proc = subprocess.Popen(
            ["kcat", "-C", "-b", BOOTSTRAP, "-t", topic, "-o", "beginning", "-u", "-q", "-f", "%p\n",
             "-X", "isolation.level=read_committed"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.count, self.first, self.done_at, self.cond = 0, None, None, threading.Condition()

    def run(self):
        fd = self.proc.stdout.fileno()
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                return
            now = time.time()
            with self.cond:
                self.count += chunk.count(b"\n")
                if self.first is None:
                    self.first = (now, self.count)
                if self.count >= RECORDS and self.done_at is None:
                    self.done_at = now
                self.cond.notify_all()

    def wait_done(self, deadline, alive):
        with self.cond:
            while self.done_at is None and time.time() < deadline and alive():
                self.cond.wait(0.2)
            return self.done_at is not None

    def close(self):
        self.proc.terminate()
        self.proc.wait()


def stop(proc, grace=15):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# -------------------------------------------------------- contenders --

def yaml_scalar(v):
    return v if isinstance(v, str) else str(v)


def yaml_emit(d, indent=0):
    out = []
    for k, v in d.items():
        if isinstance(v, dict):
            out.append(" " * indent + f"{k}:")
            out.extend(yaml_emit(v, indent + 2))
        elif isinstance(v, list):
            out.append(" " * indent + f"{k}: [{', '.join(yaml_scalar(x) for x in v)}]")
        else:
            out.append(" " * indent + f"{k}: {yaml_scalar(v)}")
    return out


def proxy_set(cfg):
    """PROXY_SET='delivery.commit_interval_ms=25,source.x=y': dotted keys, YAML scalar values;
    a dot inside a key is escaped: 'destination.properties.linger\\.ms=1'."""
    for item in PROXY_SET.replace(";", ",").split(","):
        item = item.strip()
        if not item:
            continue
        key, _, value = item.partition("=")
        node = cfg
        parts = [p.replace("\\.", ".") for p in re.split(r"(?<!\\)\.", key.strip())]
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = value.strip()


def proxy_command(tag, src, dst, policy, mode):
    pol = open(policy).read().replace("from: payments.raw", f"from: {src}") \
        .replace("to: analytics.payments", f"to: {dst}") \
        .replace("dead_letter: payments.quarantine", f"dead_letter: {dst}.dlq")
    with open(f"{WORK}/{tag}.policy.yaml", "w") as f:
        f.write(pol)
    cfg = {"source": {"brokers": BOOTSTRAP, "group_id": f"{tag}.group"},
           "policies": [f"{tag}.policy.yaml"], "keyring": "keys.yaml",
           "delivery": {"mode": mode}, "admin": {"listen": "127.0.0.1:0"}}
    if mode == "exactly_once":
        cfg["delivery"]["transactional_id"] = f"{tag}.txn"
    proxy_set(cfg)
    with open(f"{WORK}/{tag}.config.yaml", "w") as f:
        f.write("\n".join(yaml_emit(cfg)) + "\n")
    return [BIN, "run", "--config", f"{WORK}/{tag}.config.yaml"]


def connect_command(tag, alias, src):
    with open(f"{WORK}/{tag}.worker.properties", "w") as f:
        f.write(f"""bootstrap.servers={BOOTSTRAP}
key.converter=org.apache.kafka.connect.converters.ByteArrayConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
value.converter.schemas.enable=false
offset.storage.file.filename={WORK}/{tag}.offsets
listeners=http://127.0.0.1:0
plugin.discovery=service_load
""")
    with open(f"{WORK}/{tag}.connector.properties", "w") as f:
        f.write(f"""name={tag}
connector.class=org.apache.kafka.connect.mirror.MirrorSourceConnector
source.cluster.alias={alias}
target.cluster.alias=peers
source.cluster.bootstrap.servers={BOOTSTRAP}
target.cluster.bootstrap.servers={BOOTSTRAP}
topics={src}
replication.factor=1
offset-syncs.topic.replication.factor=1
sync.topic.configs.enabled=false
sync.topic.acls.enabled=false
refresh.topics.enabled=false
refresh.groups.enabled=false
transforms=json,flatten,mask
transforms.json.type=JsonToMap
transforms.flatten.type=org.apache.kafka.connect.transforms.Flatten$Value
transforms.flatten.delimiter=.
transforms.mask.type=org.apache.kafka.connect.transforms.MaskField$Value
transforms.mask.fields={",".join(MASK_FIELDS)}
""")
    return java(CONNECT_CLASSPATH, ENV.get("PEERS_CONNECT_LOG", TOOLS_LOG), "org.apache.kafka.connect.cli.ConnectStandalone",
                f"{WORK}/{tag}.worker.properties", f"{WORK}/{tag}.connector.properties")


def contender(c, tag, src):
    """(command, destination topic) of contender c reading src; the topics
    (destination, dead letters) are created by the caller (topics_of)."""
    dst = f"{tag}.out"
    if c == "a":
        return proxy_command(tag, src, dst, f"{ROOT}/bench/peers/passthrough.yaml", "exactly_once"), dst
    if c == "b":
        return proxy_command(tag, src, dst, f"{ROOT}/policies/payments.yaml", "exactly_once"), dst
    if c == "c":
        return proxy_command(tag, src, dst, f"{ROOT}/policies/payments.yaml", "at_least_once"), dst
    if c == "d":
        return java(CLASSPATH, "EosCopier", BOOTSTRAP, src, dst, f"{tag}.group", f"{tag}.txn", log_opts=False), dst
    if c == "e":
        return java(CLASSPATH, "org.apache.kafka.tools.TransactionalMessageCopier", "--broker-list", BOOTSTRAP,
                    "--input-topic", src, "--input-partition", "0", "--output-topic", dst,
                    "--consumer-group", f"{tag}.group", "--transactional-id", f"{tag}.txn",
                    "--group-mode", "--use-group-metadata"), dst
    if c == "f":
        alias = tag.replace(".", "-")
        return connect_command(tag, alias, src), f"{alias}.{src}"
    if c == "none":
        return None, src
    raise SystemExit(f"unknown contender {c!r} (a b c d e f)")


# --------------------------------------------------------------- drain --

def topics_of(c, dst):
    """The topics contender c writes: its destination and, maskproxy, its dead letters."""
    return [dst, f"{dst}.dlq"] if c in ("a", "b", "c") else [dst]


def drain_once(c, rnd, src, mb, prepared):
    tag = f"{RUN_ID}.r{rnd}.{c}"
    cmd, dst = prepared[c]
    counter = Counter(dst)
    counter.start()
    logf = open(f"{WORK}/{tag}.log", "w")
    t_launch = time.time()
    proc = subprocess.Popen(cmd, cwd=WORK, stdout=logf, stderr=subprocess.STDOUT)
    sampler = Sampler(proc.pid)
    try:
        sampler.sample()
        sampler.start()
        # A copier that exits by itself (TransactionalMessageCopier) is done when it exits.
        ok = counter.wait_done(t_launch + TIMEOUT, lambda: proc.poll() is None or c == "e")
        if ok and c in EXACTLY_ONCE:
            time.sleep(1.0)  # duplicates, if any, would show here
        else:
            time.sleep(0.3)
        sampler.sample()
    finally:
        sampler.stop.set()
        stop(proc)
        counter.close()
        logf.close()
    res = {"c": c, "round": rnd, "ok": ok, "count": counter.count}
    if not ok:
        log(f"round {rnd} {c}: FAILED: {counter.count}/{RECORDS} records on {dst} after "
            f"{time.time() - t_launch:.0f}s (log {WORK}/{tag}.log)")
        return res
    t0, c0 = counter.first
    t1 = counter.done_at
    if t1 - t0 < 0.05 or c0 >= RECORDS:  # everything arrived at once (tiny runs): use the whole life
        t0, c0 = t_launch, 0
    s0, s1 = sampler.at(t0, after=False), sampler.at(t1, after=True)
    secs = t1 - t0
    cpu = (s1[1] - s0[1]) / HZ
    broker = (s1[2] - s0[2]) / HZ
    n = RECORDS - c0
    res.update(rate=n / secs, mbps=n * mb / RECORDS / secs, cpu=cpu, per_cpu=n / cpu if cpu else float("inf"),
               mc_per_mbps=1000 * cpu / (n * mb / RECORDS), rss_mb=sampler.hwm_kb / 1024, broker=broker,
               dup=counter.count - RECORDS, wall=t1 - t_launch,
               cpu_total=(sampler.samples[-1][1] - sampler.samples[0][1]) / HZ)
    log(f"round {rnd} {c}: {res['rate']:,.0f} rec/s, {res['per_cpu']:,.0f} rec/CPU-s, cpu {cpu:.2f}s, "
        f"broker {broker:.2f}s, rss {res['rss_mb']:.0f} MB, count {counter.count}")
    return res


def fmt(v, digits=0):
    if v is None:
        return "—"
    return f"{v:,.{digits}f}"


def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def drain():
    src = f"{RUN_ID}.src"
    mb = prefill(src)
    results = []
    for rnd in range(1, ROUNDS + 1):
        k = (rnd - 1) % len(CONTENDERS)
        order = CONTENDERS[k:] + CONTENDERS[:k]
        log(f"round {rnd}: order {' '.join(order)}")
        prepared = {c: contender(c, f"{RUN_ID}.r{rnd}.{c}", src) for c in order}
        create_topics(PARTITIONS, *[t for c in order for t in topics_of(c, prepared[c][1])])
        for c in order:
            results.append(drain_once(c, rnd, src, mb, prepared))
        if ENV.get("KEEP") != "1":  # the destinations of a round: a few GB at 300,000 records
            create_topics("delete", *[t for c in order for t in topics_of(c, prepared[c][1])])
    if ENV.get("KEEP") != "1":
        create_topics("delete", src)
    return src, mb, results


def report(mb, results, load_before, load_after):
    failed = [r for r in results if not r["ok"]]
    print(f"\n## Against the peers: {RECORDS:,} records of {mb * 1e6 / RECORDS:,.0f} B ({mb:,.1f} MB), "
          f"{PARTITIONS} partitions, {ROUNDS} round(s), medians\n")
    print(f"machine: {os.cpu_count()} CPUs; load before: `{load_before}`; after: `{load_after}`\n")
    print("| contender | records/s | MB/s | CPU-s | records per CPU-s | millicores per MB/s | peak RSS MB "
          "| broker CPU-s | delivered |")
    print("|---|---|---|---|---|---|---|---|---|")
    by = {c: [r for r in results if r["c"] == c and r["ok"]] for c in CONTENDERS}
    for c in CONTENDERS:
        rs = by[c]
        nfail = len([r for r in results if r["c"] == c and not r["ok"]])
        delivered = f"{len(rs)}/{len(rs) + nfail} runs"
        if rs and max(r["dup"] for r in rs) > 0:
            delivered += f", up to {max(r['dup'] for r in rs)} extra"
        print(f"| ({c}) {NAMES[c]} | {fmt(med([r['rate'] for r in rs]))} | {fmt(med([r['mbps'] for r in rs]), 1)} "
              f"| {fmt(med([r['cpu'] for r in rs]), 2)} | {fmt(med([r['per_cpu'] for r in rs]))} "
              f"| {fmt(med([r['mc_per_mbps'] for r in rs]), 1)} | {fmt(med([r['rss_mb'] for r in rs]))} "
              f"| {fmt(med([r['broker'] for r in rs]), 2)} | {delivered} |")
    # Ratios per round.
    ratios = [("(b)/(d) records/s", "b", "d", "rate", 2.0, ">="),
              ("(b)/(d) records per CPU-s", "b", "d", "per_cpu", 4.0, ">="),
              ("(b)/(f) records per CPU-s", "b", "f", "per_cpu", 8.0, ">="),
              ("(b)/(a) records per CPU-s", "b", "a", "per_cpu", 0.90, ">="),
              ("(b)/(e) records/s", "b", "e", "rate", None, None),
              ("(c)/(b) records/s", "c", "b", "rate", None, None)]
    rows = []
    for label, x, y, key, goal, op in ratios:
        if x not in CONTENDERS or y not in CONTENDERS:
            continue
        per = []
        for rnd in range(1, ROUNDS + 1):
            rx = next((r for r in by[x] if r["round"] == rnd), None)
            ry = next((r for r in by[y] if r["round"] == rnd), None)
            per.append(rx[key] / ry[key] if rx and ry else None)
        rows.append((label, per, goal, op))
    if "b" in CONTENDERS:
        rows.append(("(b) millicores per MB/s", [next((r["mc_per_mbps"] for r in by["b"] if r["round"] == rnd), None)
                                                 for rnd in range(1, ROUNDS + 1)], 4.0, "<="))
    if "d" in CONTENDERS:
        print("\nPer round against (d), the Java exactly-once copier: median (round 1 · round 2 · ...)\n")
        print("| contender | records/s vs (d) | records per CPU-s vs (d) |")
        print("|---|---|---|")
        for c in CONTENDERS:
            if c == "d":
                continue
            cells = []
            for key in ("rate", "per_cpu"):
                per = []
                for rnd in range(1, ROUNDS + 1):
                    rx = next((r for r in by[c] if r["round"] == rnd), None)
                    ry = next((r for r in by["d"] if r["round"] == rnd), None)
                    per.append(rx[key] / ry[key] if rx and ry else None)
                cells.append(f"{fmt(med(per), 2)} ({' · '.join(fmt(p, 2) for p in per)})")
            print(f"| ({c}) | {cells[0]} | {cells[1]} |")
    if rows:
        print("\nThe goals of issue 15, per round:\n")
        print("| ratio | " + " | ".join(f"round {i}" for i in range(1, ROUNDS + 1)) + " | median | goal |")
        print("|---|" + "---|" * (ROUNDS + 2))
        for label, per, goal, op in rows:
            m = med(per)
            g = f"{op} {goal:g}" if goal is not None else ""
            print(f"| {label} | " + " | ".join(fmt(p, 2) for p in per) + f" | {fmt(m, 2)} | {g} |")
    for c in CONTENDERS:
        for r in by[c]:
            if c in EXACTLY_ONCE and r["dup"] != 0:
                failed.append(r)
    print("\nrecords/s, MB/s and CPU-s are over the drain window: from the first records visible on the "
          "destination (read_committed) until all are, so JVM start-up is not counted; MB are the source "
          "records' bytes. CPU: utime+stime of the contender's process tree (/proc); broker: the same of "
          "the broker's JVM.")
    return not failed


def prefill(src):
    events = f"{WORK}/events.tsv"
    subprocess.run([sys.executable, f"{ROOT}/bench/peers/gen_events.py", str(RECORDS), str(RECORD_BYTES)],
                   stdout=open(events, "w"), check=True)
    create_topics(PARTITIONS, src)
    t = time.time()
    subprocess.run(["kcat", "-b", BOOTSTRAP, "-P", "-t", src, "-K", "\t", "-X", "linger.ms=50",
                    "-X", "batch.num.messages=10000"], stdin=open(events), check=True)
    mb = 0
    with open(events, "rb") as f:
        for line in f:
            mb += len(line) - 1 - line.index(b"\t") - 1  # value bytes
    log(f"prefilled {src}: {RECORDS} records, {mb / RECORDS:.0f} B values, in {time.time() - t:.1f}s")
    return mb / 1e6


# ------------------------------------------------------------- latency --

def latency(rate):
    events = f"{WORK}/events.tsv"
    if not os.path.exists(events):
        subprocess.run([sys.executable, f"{ROOT}/bench/peers/gen_events.py", "20000", str(RECORD_BYTES)],
                       stdout=open(events, "w"), check=True)
    conts = [c for c in ENV.get("LATENCY_CONTENDERS", "none,a,b,c").split(",") if c]
    results = {c: [] for c in conts}
    for rnd in range(1, ROUNDS + 1):
        k = (rnd - 1) % len(conts)
        for c in conts[k:] + conts[:k]:
            tag = f"{RUN_ID}.lat{rnd}.{c}"
            src = f"{tag}.src"
            cmd, dst = contender(c, tag, src)
            create_topics(PARTITIONS, src, *(topics_of(c, dst) if dst != src else []))
            proc = None
            logf = open(f"{WORK}/{tag}.log", "w")
            if cmd:
                proc = subprocess.Popen(cmd, cwd=WORK, stdout=logf, stderr=subprocess.STDOUT)
                deadline = time.time() + 30
                while time.time() < deadline and "partitions_assigned" not in open(f"{WORK}/{tag}.log").read():
                    time.sleep(0.1)
            out = subprocess.run(java(CLASSPATH, "Latency", BOOTSTRAP, src, dst, events, str(rate), str(DURATION),
                                      str(WARMUP), log_opts=True), capture_output=True, text=True, check=False)
            if proc:
                stop(proc)
            logf.close()
            line = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""
            vals = dict(kv.split("=") for kv in line.split()) if line else {}
            log(f"latency round {rnd} {c}: {line or out.stderr[-500:]}")
            results[c].append(vals)
            if ENV.get("KEEP") != "1":
                create_topics("delete", src, *(topics_of(c, dst) if dst != src else []))
    return conts, results


def latency_report(conts, results, rate, load_before, load_after):
    print(f"\n## Latency: {rate:,.0f} records/s of {RECORD_BYTES} B for {DURATION:g}s (first {WARMUP:g}s not "
          f"counted), {PARTITIONS} partitions, {ROUNDS} round(s), medians; PROXY_SET='{PROXY_SET}'\n")
    print(f"machine: {os.cpu_count()} CPUs; load before: `{load_before}`; after: `{load_after}`\n")
    print("| path | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | received/sent |")
    print("|---|---|---|---|---|---|---|")
    ok = True
    for c in conts:
        rs = [r for r in results[c] if r.get("received") and r["p50_ms"] != "nan"]

        def m(k, rs=rs):
            return med([float(r[k]) for r in rs])
        sent = sum(int(r.get("sent", 0)) for r in results[c])
        recv = sum(int(r.get("received", 0)) for r in results[c])
        ok = ok and recv >= sent > 0
        print(f"| ({c}) {NAMES[c]} | {fmt(m('p50_ms'))} | {fmt(m('p90_ms'))} | {fmt(m('p99_ms'))} "
              f"| {fmt(m('p999_ms'))} | {fmt(m('max_ms'))} | {recv}/{sent} |")
    print("\nlatency = arrival at an independent read_committed consumer - the record's timestamp (set at send, "
          "kept by every path); millisecond resolution.")
    return ok


def main():
    global CONTENDERS, ROUNDS
    # SIGTERM (ctest's timeout, kill): unwind, so the finally blocks stop the contender.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    os.makedirs(WORK, exist_ok=True)
    subprocess.run([BIN, "keys", "generate", "--out", f"{WORK}/keys.yaml", "rrn", "phone", "email", "account"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    load_before = uptime()
    log(f"load before: {load_before}")
    if MODE == "drain":
        _, mb, results = drain()
        if ENV.get("RESULTS_JSON"):
            with open(ENV["RESULTS_JSON"], "w") as f:
                json.dump({"mb": mb, "records": RECORDS, "rounds": ROUNDS, "contenders": CONTENDERS,
                           "load_before": load_before, "results": results}, f)
        ok = report(mb, results, load_before, uptime())
    elif MODE == "latency":
        rate = float(RATE) if RATE else None
        if rate is None:
            saved = CONTENDERS, ROUNDS
            CONTENDERS, ROUNDS = ["b"], 1
            _, _, res = drain()
            CONTENDERS, ROUNDS = saved
            if not res[0]["ok"]:
                log("latency: the drain of (b) that sets RATE failed")
                return 1
            rate = res[0]["rate"] / 2
            log(f"latency: RATE = half of (b)'s drain rate = {rate:,.0f} records/s")
        conts, results = latency(rate)
        ok = latency_report(conts, results, rate, load_before, uptime())
    else:
        raise SystemExit(f"MODE must be drain or latency, not {MODE!r}")
    print(f"\nload after: `{uptime()}`")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
