// The policy playground (docs/PLAYGROUND.md). Plain JavaScript, no
// framework, nothing fetched but this server's own endpoints:
//   GET  /v1/policy/loaded    the loaded policies, for the picker
//   POST /v1/policy/evaluate  the dry run (src/app/playground.h)
// Values are only ever put into the page as text (textContent), never as HTML.
"use strict";

const SAMPLE_POLICY = `policy: playground-sample
version: 1
routes:
  - from: payments.raw
    to: analytics.payments
    dead_letter: payments.quarantine
    unlisted_fields: scan
    rules:
      - { path: user.rrn, action: tokenize, key: rrn, normalize: digits }
      - { path: user.phone, action: tokenize, key: phone, normalize: phone_kr }
      - { path: user.name, action: redact }
      - { path: card.number, action: mask, keep_first: 6, keep_last: 4 }
      - { path: amount, action: keep }
tests:
  - name: rrn is tokenized
    route: payments.raw
    input: { user: { rrn: "900101-1234567" }, amount: 1 }
    expect: { user: { rrn: !match '^t1\\.rrn\\.1\\.' }, amount: 1 }
`;

const SAMPLE_EVENTS = `{"user":{"rrn":"900101-1234567","phone":"010-1234-5678","name":"홍길동"},"card":{"number":"5412751234567890"},"amount":42000,"memo":"call me at 010-9876-5432"}
{"user":{"rrn":"851231-2345678","phone":"+82 10 2222 3333","name":"Kim"},"card":{"number":"4111111111111111"},"amount":1500}
{"user":{"rrn":"not a number"},"amount":3}
{"user": oops}`;

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(typeof c === "string" ? document.createTextNode(c) : c);
  }
  return e;
}

// ---- the throwaway session -------------------------------------------------

function b64url(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function newSession() {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  const s = b64url(bytes);
  sessionStorage.setItem("maskproxy.playground.session", s);
  return s;
}

let session = sessionStorage.getItem("maskproxy.playground.session") || newSession();

function showSession() {
  // Only a short, non-secret-looking label: the first characters.
  $("session-id").textContent = session.slice(0, 6) + "…";
}

// ---- the editor: line numbers and error marks -------------------------------

let errorLines = new Map();  // line -> message

function renderGutter() {
  const lines = $("policy").value.split("\n").length;
  const g = $("gutter");
  g.textContent = "";
  for (let i = 1; i <= lines; i++) {
    const s = el("span", {}, String(i));
    if (errorLines.has(i)) {
      s.className = "err";
      s.title = errorLines.get(i);
    }
    g.append(s);
  }
  g.scrollTop = $("policy").scrollTop;
}

// A policy error's column counts bytes (as `policy check` prints it); the
// editor counts UTF-16 units: the offset in `text` of byte `col` (1-based)
// of its UTF-8 (found by review: on a line with Hangul the caret landed 10
// characters past the error).
function charOffset(text, col) {
  return byteColumn(text, col).units;
}

// Byte `col` (1-based) of `text`'s UTF-8: the editor's offset (UTF-16
// units) and the character column shown (code points, 1-based; a
// re-review: a line with 𝐚 showed the UTF-16 count).
function byteColumn(text, col) {
  const enc = new TextEncoder();
  let bytes = 0, units = 0, chars = 0;
  for (const ch of text) {
    if (bytes >= (col || 1) - 1) break;
    bytes += enc.encode(ch).length;
    units += ch.length;
    chars++;
  }
  return { units, column: chars + 1 };
}

function selectLine(line, col) {
  const ta = $("policy");
  const lines = ta.value.split("\n");
  let start = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) start += lines[i].length + 1;
  const end = start + (lines[line - 1] || "").length;
  ta.focus();
  ta.setSelectionRange(start + charOffset(lines[line - 1] || "", col), end);
  ta.scrollTop = Math.max(0, (line - 3) * 18);
  renderGutter();
}

function showDiagnostics(list, ul, cls) {
  ul.textContent = "";
  const lines = $("policy").value.split("\n");
  for (const d of list || []) {
    const col = d.line > 0 ? byteColumn(lines[d.line - 1] || "", d.col).column : 0;
    const where = d.line > 0 ? `line ${d.line}, col ${col}: ` : "";
    const li = el("li", { class: cls || "" }, where + d.message);
    if (d.line > 0) li.addEventListener("click", () => selectLine(d.line, d.col));
    ul.append(li);
  }
}

// ---- highlighting what changed ---------------------------------------------

function isObj(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Num);
}

// JSON.parse with every number kept as its text (a Num): a double holds
// integers exactly only to 2^53, and an account or id beyond it was shown
// rounded, raw and masked alike, so a value the policy changed could look
// unchanged (found by review: fpe on 23-digit accounts). Numbers go through
// JSON.parse as strings with the prefix NUM; a string of the document that
// starts with NUM or STR gets STR before it, so that no string is taken for
// a number (a re-review: "\u0000\u0001num:5" was shown as 5).
class Num {
  constructor(text) { this.text = text; }
}
const NUM = "\u0000\u0001num:", STR = "\u0000\u0001str:";
function parseExact(text) {
  let out = "";
  for (let i = 0; i < text.length;) {
    const c = text[i];
    if (c === '"') {  // a string: copied through to its closing quote
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      const lit = text.slice(i, j + 1);
      const v = lit.startsWith('"\\u0000') || lit.startsWith('"\\U0000') ? JSON.parse(lit) : "";
      out += v.startsWith(NUM) || v.startsWith(STR) ? JSON.stringify(STR + v) : lit;
      i = j + 1;
    } else if (c === "-" || (c >= "0" && c <= "9")) {
      const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
      const num = m ? m[0] : c;
      out += JSON.stringify(NUM + num);
      i += num.length;
    } else {
      out += c;
      i++;
    }
  }
  return JSON.parse(out, (k, v) => {
    if (typeof v === "string" && v.startsWith(NUM)) return new Num(v.slice(NUM.length));
    if (typeof v === "string" && v.startsWith(STR)) return v.slice(STR.length);
    if (isObj(v) && Object.keys(v).some((key) => key.startsWith(STR))) {  // member names too
      // Defined, not assigned: "__proto__" is a member like any other (a
      // re-review: assigned, it set the prototype and the member vanished
      // from both panes).
      const o = {};
      for (const key of Object.keys(v))
        Object.defineProperty(o, key.startsWith(STR) ? key.slice(STR.length) : key,
                              { value: v[key], enumerable: true, writable: true, configurable: true });
      return o;
    }
    return v;
  });
}

function leafText(v) {
  return v instanceof Num ? v.text : JSON.stringify(v);
}

// Pretty-prints `value` as JSON into `parent`, marking each leaf that differs
// from `other` at the same place (class `cls`); `other` undefined: everything
// here differs.
function renderJson(parent, value, other, cls, indent) {
  const pad = "  ".repeat(indent);
  if (Array.isArray(value)) {
    parent.append("[");
    value.forEach((v, i) => {
      parent.append((i ? "," : "") + "\n" + pad + "  ");
      renderJson(parent, v, Array.isArray(other) ? other[i] : undefined, cls, indent + 1);
    });
    parent.append((value.length ? "\n" + pad : "") + "]");
    return;
  }
  if (isObj(value)) {
    const keys = Object.keys(value);
    parent.append("{");
    keys.forEach((k, i) => {
      parent.append((i ? "," : "") + "\n" + pad + "  " + JSON.stringify(k) + ": ");
      const o = isObj(other) && Object.prototype.hasOwnProperty.call(other, k) ? other[k] : undefined;
      renderJson(parent, value[k], o, cls, indent + 1);
    });
    parent.append((keys.length ? "\n" + pad : "") + "}");
    return;
  }
  const text = leafText(value);
  if (other === undefined || leafText(other) !== text) parent.append(el("mark", { class: cls }, text));
  else parent.append(text);
}

function jsonPre(value, other, cls) {
  const pre = el("pre");
  renderJson(pre, value, other, cls, 0);
  return pre;
}

// ---- results ------------------------------------------------------------------

function eventCard(ev) {
  const card = el("div", { class: "event" });
  card.append(el("div", { class: "head" }, `event on line ${ev.line}`));
  let raw;
  try {
    raw = parseExact(ev.raw);
  } catch (_) {
    raw = undefined;
  }
  if (ev.dead_letter) {
    card.classList.add("dead-letter");
    card.append(el("div", { class: "pair" }, el("pre", {}, ev.raw),
                   el("pre", { class: "dead" }, `dead letter: ${ev.dead_letter.reason}\n${ev.dead_letter.detail}`)));
    return card;
  }
  const masked = parseExact(ev.masked);
  card.append(el("div", { class: "pair" }, jsonPre(raw, masked, "del"), jsonPre(masked, raw, "chg")));
  const ul = el("ul", { class: "decisions" });
  for (const r of ev.rules || [])
    ul.append(el("li", { class: "rule" }, `${r.path}: ${r.action} (rule at line ${r.rule_line})` +
                                              (r.count > 1 ? ` ×${r.count}` : "")));
  for (const f of ev.findings || [])
    ul.append(el("li", { class: "finding" },
                 `${f.field}: detector ${f.detector}` + (f.unlisted ? " (unlisted field, schema-drift guard)" : "")));
  if (!ul.children.length) ul.append(el("li", { class: "muted" }, "no rule or detector changed this event"));
  card.append(ul);
  return card;
}

// CSV records as the batch driver reads them (src/batch/batch.h): RFC 4180,
// a quoted field may hold line breaks; each record with the line it starts
// on (the header is line 1: the line dead_letters[].line gives); a blank
// line (only spaces, tabs or a CR) is not a record.
function csvRecords(text) {
  const recs = [];
  let row = [], cell = "", q = false, quoted = false, line = 1, start = 1;
  const end = () => {
    row.push(cell.replace(/\r$/, ""));
    if (!(row.length === 1 && !quoted && /^[ \t\r]*$/.test(row[0]))) recs.push({ line: start, cells: row });
    row = []; cell = ""; quoted = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; }
      else if (c === '"') q = false;
      else { if (c === "\n") line++; cell += c; }
    } else if (c === '"') { q = true; quoted = true; }
    else if (c === ",") { row.push(cell); cell = ""; }
    else if (c === "\n") { end(); line++; start = line; }
    else cell += c;
  }
  if (cell !== "" || row.length || quoted) end();
  return recs;
}

// For each masked column, the raw column it came from, by name: the k-th
// column of a name is the k-th raw column of that name (a rule on a
// duplicated name applies to each); -1 when none (not expected: the driver
// removes columns, it never adds or renames one).
function columnSources(rawHead, maskedHead) {
  const taken = new Set();
  return maskedHead.map((name) => {
    const j = rawHead.findIndex((n, k) => n === name && !taken.has(k));
    if (j >= 0) taken.add(j);
    return j;
  });
}

function cellTd(text, mark, title) {
  const td = el("td", title ? { title } : {}, mark ? el("mark", { class: mark }, text) : text);
  return td;
}

// The raw and masked tables, cells matched by column name and rows by input
// line, never by position: a removed column (redact) or a dead-lettered row
// would otherwise pair each later cell with its neighbour's (found by
// review: a kept memo shown as changed). A cell is marked changed only when
// its own raw cell is known and differs; when the rows cannot be matched,
// nothing is marked.
function showCsv(csv, rawText) {
  const out = $("results");
  if (csv.error) out.append(el("div", { class: "event dead" }, `CSV refused: ${csv.error.reason}: ${csv.error.detail}`));
  const raw = csvRecords(rawText), masked = csvRecords(csv.masked || "");
  const dead = new Map();
  for (const d of csv.dead_letters || []) dead.set(d.line, d);
  const rawHead = raw.length ? raw[0].cells : [];
  const maskedHead = masked.length ? masked[0].cells : [];
  const sources = columnSources(rawHead, maskedHead);
  const removed = rawHead.map((_, j) => masked.length > 0 && !sources.includes(j));
  // The masked output holds the raw rows that were not dead-lettered, in
  // input order (after a fatal error, the ones before it).
  const kept = raw.slice(1).filter((r) => !dead.has(r.line));
  const rows = masked.slice(1);
  const aligned = masked.length > 0 && (rows.length === kept.length || (csv.error && rows.length < kept.length));

  const rawTable = el("table", { class: "csv" });
  rawTable.append(el("tr", {}, el("th", {}, "line"),
                     ...rawHead.map((n, j) => el("th", removed[j] ? { class: "removed", title: "column removed" } : {},
                                                 removed[j] ? el("mark", { class: "del" }, n) : n,
                                                 removed[j] ? el("span", { class: "muted" }, " (removed)") : null))));
  for (const r of raw.slice(1)) {
    const d = dead.get(r.line);
    const tr = el("tr", d ? { class: "dead-row", title: `dead letter: ${d.reason}` } : {}, el("td", {}, String(r.line)));
    r.cells.forEach((c, j) => tr.append(cellTd(c, removed[j] ? "del" : "", removed[j] ? "column removed" : "")));
    rawTable.append(tr);
  }

  const maskedTable = el("table", { class: "csv" });
  maskedTable.append(el("tr", {}, el("th", {}, "line"), ...maskedHead.map((n) => el("th", {}, n))));
  rows.forEach((r, i) => {
    const src = aligned ? kept[i] : undefined;
    const tr = el("tr", {}, el("td", {}, src ? String(src.line) : "?"));
    r.cells.forEach((c, j) => {
      const from = src && sources[j] >= 0 ? src.cells[sources[j]] : undefined;
      tr.append(cellTd(c, from !== undefined && from !== c ? "chg" : "",
                       from === undefined ? "its raw cell is not known: not compared" : ""));
    });
    maskedTable.append(tr);
  });
  const names = rawHead.filter((_, j) => removed[j]);
  const notes = [];
  if (names.length) notes.push(el("div", { class: "muted removed-note" }, `columns removed: ${names.join(", ")}`));
  if (masked.length && !aligned)
    notes.push(el("div", { class: "dead align-note" },
                  "the masked rows could not be matched to their input lines: changes are not marked"));
  out.append(el("div", { class: "event" }, el("div", { class: "pair" },
                el("div", {}, el("div", { class: "head" }, "raw (by input line)"), rawTable),
                el("div", {}, el("div", { class: "head" }, "masked (rows that were dead-lettered are left out)"),
                   maskedTable, ...notes))));
  for (const d of csv.dead_letters || [])
    out.append(el("div", { class: "event dead-letter" },
                  el("span", { class: "dead" }, `line ${d.line}: dead letter: ${d.reason}`), ` ${d.detail || ""}`));
}

function showTests(tests) {
  const ul = $("tests");
  ul.textContent = "";
  if (!tests || !tests.length) {
    ul.append(el("li", { class: "muted" }, "no tests ran (the policy has no tests:, or the box is unticked)"));
    return;
  }
  for (const t of tests) {
    const li = el("li", { class: t.passed ? "pass" : "fail" }, `${t.name} (line ${t.line}) — ${t.passed ? "pass" : "FAIL"}`);
    if (t.diffs && t.diffs.length) li.append(el("pre", {}, t.diffs.join("\n")));
    if (t.warnings && t.warnings.length)
      li.append(el("pre", { class: "warning" }, t.warnings.map((w) => "warning: " + w).join("\n")));
    ul.append(li);
  }
}

function fillRoutes(routes, chosen) {
  const sel = $("route");
  const keep = sel.value;
  sel.textContent = "";
  sel.append(el("option", { value: "" }, "(first)"));
  for (const r of routes || []) sel.append(el("option", { value: r.name }, `${r.name} → ${r.to}`));
  sel.value = [...sel.options].some((o) => o.value === keep) ? keep : "";
  if (!sel.value && chosen) sel.title = `evaluated on ${chosen}`;
}

function setStatus(text, cls) {
  const s = $("status");
  s.textContent = text;
  s.className = "status " + (cls || "");
}

async function evaluate() {
  const body = {
    policy: $("policy").value,
    events: $("events").value,
    format: $("format").value,
    session,
    run_tests: $("run-tests").checked,
  };
  if ($("route").value) body.route = $("route").value;
  setStatus("Evaluating…");
  let resp, answer;
  try {
    resp = await fetch("/v1/policy/evaluate", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    answer = await resp.json();
  } catch (e) {
    setStatus(`The request failed: ${e}`, "bad");
    return;
  }
  $("results").textContent = "";
  errorLines = new Map();
  if (!resp.ok && !answer.errors) {
    setStatus(`${resp.status} ${answer.error}: ${answer.message}`, "bad");
    showDiagnostics([], $("errors"));
    renderGutter();
    return;
  }
  for (const e of answer.errors || []) if (e.line > 0 && !errorLines.has(e.line)) errorLines.set(e.line, e.message);
  showDiagnostics(answer.errors, $("errors"));
  const warnings = answer.warnings || [];
  $("warnings-title").hidden = !warnings.length;
  showDiagnostics(warnings, $("warnings"), "warning");
  renderGutter();
  if (!answer.ok) {
    setStatus(`The policy does not compile (${answer.error}): ${answer.errors.length} error(s), marked in the editor.`,
              "bad");
    showTests([]);
    return;
  }
  fillRoutes(answer.policy.routes, answer.route);
  $("policy-label").textContent = answer.policy.label;
  let dead = 0;
  if (answer.format === "csv") {
    showCsv(answer.csv, body.events);
    dead = (answer.csv.dead_letters || []).length;
  } else {
    for (const ev of answer.events) {
      if (ev.dead_letter) dead++;
      $("results").append(eventCard(ev));
    }
  }
  const failed = (answer.tests || []).filter((t) => !t.passed).length;
  setStatus(`${answer.policy.label}, route ${answer.route}: ${answer.events.length || ""} ` +
            `${answer.format === "csv" ? "CSV rows" : "events"}, ${dead} dead letter(s); ` +
            `tests: ${(answer.tests || []).length - failed} passed, ${failed} failed. Keys: throwaway.`,
            failed || dead ? "" : "good");
  showTests(answer.tests);
}

async function loadPicker() {
  try {
    const resp = await fetch("/v1/policy/loaded");
    if (!resp.ok) return;
    const answer = await resp.json();
    for (const p of answer.policies || []) {
      if (!p.text) continue;
      const opt = el("option", { value: p.file }, p.file.split("/").pop());
      opt.dataset.text = p.text;
      $("picker").append(opt);
    }
  } catch (_) {
    // The picker stays empty; pasting still works.
  }
}

function init() {
  $("policy").value = SAMPLE_POLICY;
  $("events").value = SAMPLE_EVENTS;
  showSession();
  renderGutter();
  $("policy").addEventListener("input", renderGutter);
  $("policy").addEventListener("scroll", () => { $("gutter").scrollTop = $("policy").scrollTop; });
  $("evaluate").addEventListener("click", evaluate);
  document.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) evaluate();
  });
  $("new-session").addEventListener("click", () => {
    session = newSession();
    showSession();
    evaluate();
  });
  $("picker").addEventListener("change", () => {
    const opt = $("picker").selectedOptions[0];
    if (opt && opt.dataset.text) {
      $("policy").value = opt.dataset.text;
      errorLines = new Map();
      renderGutter();
    }
  });
  loadPicker();
}

document.addEventListener("DOMContentLoaded", init);
