#include "audit/verify.h"

#include <map>
#include <optional>
#include <vector>

#include "audit/trail_keys.h"
#include "common/file.h"

namespace maskproxy::audit {
namespace {

const std::string kZeros(64, '0');
constexpr std::string_view kMacMember = ",\"mac\":\"";
constexpr std::string_view kPrevMember = ",\"prev\":\"";
constexpr std::string_view kKvMember = "\",\"kv\":";

bool IsHex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char ch : s)
    if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) return false;
  return true;
}

std::optional<uint64_t> Digits(std::string_view s) {
  if (s.empty() || s.size() > 19 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  uint64_t v = 0;
  for (char ch : s) {
    if (ch < '0' || ch > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(ch - '0');
  }
  return v;
}

// What a line claims, before its mac is checked.
struct Parsed {
  uint64_t seq = 0;
  std::string event;
  std::string prev;
  uint32_t kv = 0;
  std::string mac;
  std::string_view canonical_head;  // the line up to the comma before "mac"
  // checkpoint members
  bool checkpoint = false;
  uint64_t cp_entries = 0;
  std::string cp_chain;
  bool cp_final = false;
};

std::optional<Parsed> Parse(std::string_view line) {
  Parsed p;
  constexpr std::string_view kSeq = "{\"seq\":";
  if (line.substr(0, kSeq.size()) != kSeq) return std::nullopt;
  size_t comma = line.find(',', kSeq.size());
  if (comma == std::string_view::npos) return std::nullopt;
  auto seq = Digits(line.substr(kSeq.size(), comma - kSeq.size()));
  if (!seq || *seq == 0) return std::nullopt;
  p.seq = *seq;
  std::string_view rest = line.substr(comma);
  constexpr std::string_view kTime = ",\"time\":\"";
  if (rest.substr(0, kTime.size()) != kTime || rest.size() < kTime.size() + 24) return std::nullopt;
  rest = rest.substr(kTime.size() + 24);
  constexpr std::string_view kEvent = "\",\"event\":\"";
  if (rest.substr(0, kEvent.size()) != kEvent) return std::nullopt;
  rest = rest.substr(kEvent.size());
  size_t q = rest.find('"');
  if (q == std::string_view::npos || q == 0) return std::nullopt;
  p.event = std::string(rest.substr(0, q));
  for (char ch : p.event)
    if (!((ch >= 'a' && ch <= 'z') || ch == '_')) return std::nullopt;
  std::string_view after_event = rest.substr(q + 1);
  // The tail: ,"prev":"<64>","kv":N,"mac":"<64>"}
  if (line.size() < 2 || line.substr(line.size() - 2) != "\"}") return std::nullopt;
  size_t mac_pos = line.rfind(kMacMember);
  if (mac_pos == std::string_view::npos || mac_pos + kMacMember.size() + 64 + 2 != line.size()) return std::nullopt;
  p.mac = std::string(line.substr(mac_pos + kMacMember.size(), 64));
  if (!IsHex64(p.mac)) return std::nullopt;
  size_t prev_pos = line.rfind(kPrevMember, mac_pos);
  if (prev_pos == std::string_view::npos || prev_pos < kSeq.size()) return std::nullopt;
  std::string_view prev_part = line.substr(prev_pos + kPrevMember.size(), mac_pos - prev_pos - kPrevMember.size());
  if (prev_part.size() < 64 + kKvMember.size() + 1) return std::nullopt;
  p.prev = std::string(prev_part.substr(0, 64));
  if (!IsHex64(p.prev) || prev_part.substr(64, kKvMember.size()) != kKvMember) return std::nullopt;
  auto kv = Digits(prev_part.substr(64 + kKvMember.size()));
  if (!kv || *kv == 0 || *kv > 0xffffffffULL) return std::nullopt;
  p.kv = static_cast<uint32_t>(*kv);
  p.canonical_head = line.substr(0, mac_pos);
  if (p.event == "checkpoint") {
    // ,"entries":N,"chain":"<64>","final":true|false  then ,"prev"
    size_t fields_end = static_cast<size_t>(after_event.data() - line.data());
    std::string_view cp = line.substr(fields_end, prev_pos - fields_end);
    constexpr std::string_view kEntries = ",\"entries\":";
    constexpr std::string_view kChain = ",\"chain\":\"";
    constexpr std::string_view kFinal = "\",\"final\":";
    if (cp.substr(0, kEntries.size()) != kEntries) return std::nullopt;
    cp = cp.substr(kEntries.size());
    size_t c = cp.find(',');
    if (c == std::string_view::npos) return std::nullopt;
    auto entries = Digits(cp.substr(0, c));
    if (!entries) return std::nullopt;
    cp = cp.substr(c);
    if (cp.substr(0, kChain.size()) != kChain || cp.size() < kChain.size() + 64 + kFinal.size()) return std::nullopt;
    p.cp_chain = std::string(cp.substr(kChain.size(), 64));
    cp = cp.substr(kChain.size() + 64);
    if (cp.substr(0, kFinal.size()) != kFinal) return std::nullopt;
    cp = cp.substr(kFinal.size());
    if (cp == "true")
      p.cp_final = true;
    else if (cp != "false")
      return std::nullopt;
    p.checkpoint = true;
    p.cp_entries = *entries;
  }
  return p;
}

bool MacVerifies(const Parsed& p, const TrailKeys& keys) {
  auto it = keys.mac.find(p.kv);
  if (it == keys.mac.end()) return false;
  std::string canonical(p.canonical_head);
  canonical.push_back('}');
  crypto::Sha256Digest d{};
  if (!it->second.Compute(canonical, &d).ok()) return false;
  return HexDigest(d) == p.mac;
}

struct Line {
  std::string_view text;
  std::optional<Parsed> parsed;
  bool authentic = false;
  std::string hash;
};

std::string L(size_t i) {
  return "line " + std::to_string(i + 1);
}

// Whether `text` is one whole JSON object and nothing after it, as far as
// braces and brackets outside strings tell: an entry's top-level object
// closes only at its last byte, so no part of an entry cut short is one.
bool WholeObject(std::string_view text) {
  if (text.empty() || text.front() != '{') return false;
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (in_string) {
      if (ch == '\\')
        ++i;
      else if (ch == '"')
        in_string = false;
      continue;
    }
    if (ch == '"') {
      in_string = true;
    } else if (ch == '{' || ch == '[') {
      ++depth;
    } else if (ch == '}' || ch == ']') {
      if (--depth == 0) return i + 1 == text.size();
    }
  }
  return false;
}

// Whether a last line without its newline can be the start of entry `seq`
// whose write was cut: it begins as that entry begins ({"seq":N,"time":"),
// or is a beginning of that, and it is not a whole JSON object.
bool MayBeCutEntry(std::string_view text, uint64_t seq) {
  const std::string head = "{\"seq\":" + std::to_string(seq) + ",\"time\":\"";
  if (text.size() <= head.size()) return head.compare(0, text.size(), text) == 0;
  return text.substr(0, head.size()) == head && !WholeObject(text);
}

}  // namespace

std::string AnchorText(const Anchor& anchor) {
  return "seq=" + std::to_string(anchor.seq) + " chain=" + anchor.chain.substr(0, kAnchorHexDigits);
}

Result<Anchor> ParseAnchor(std::string_view text) {
  const Error bad(ErrorCode::kUsage,
                  "an anchor is seq=N,chain=HEX (16 to 64 lower-case hex digits), as the "
                  "writer reported it (\"audit anchor: seq=N chain=HEX\")");
  constexpr std::string_view kSeq = "seq=";
  constexpr std::string_view kChain = "chain=";
  if (text.substr(0, kSeq.size()) != kSeq) return bad;
  const size_t sep = text.find_first_of(", ");
  if (sep == std::string_view::npos) return bad;
  auto seq = Digits(text.substr(kSeq.size(), sep - kSeq.size()));
  std::string_view chain = text.substr(sep + 1);
  if (!seq || *seq == 0 || chain.substr(0, kChain.size()) != kChain) return bad;
  chain.remove_prefix(kChain.size());
  if (chain.size() < kAnchorHexDigits || chain.size() > 64) return bad;
  for (char ch : chain)
    if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) return bad;
  return Anchor{.seq = *seq, .chain = std::string(chain)};
}

VerifyReport VerifyText(std::string_view text, const TrailKeys& keys, const Anchor* expect) {
  VerifyReport r;
  r.last_hash = kZeros;
  r.chain = kZeros;
  std::vector<Line> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) {
      r.partial_last_line = true;
      lines.push_back({text.substr(pos), std::nullopt, false, ""});
      break;
    }
    lines.push_back({text.substr(pos, nl - pos), std::nullopt, false, ""});
    pos = nl + 1;
  }
  // A last line without its newline that is a whole JSON object is no write
  // cut short (the writer writes an entry and its newline at once): it is
  // checked as an entry, and only if it is the next authentic entry is it a
  // cut (its newline missing). Anything else unterminated is examined below.
  const bool unterminated_object = r.partial_last_line && WholeObject(lines.back().text);
  size_t authentic = 0;
  std::map<uint64_t, size_t> line_of_seq;  // authentic entries by seq (first line)
  const size_t complete_lines = r.partial_last_line && !unterminated_object ? lines.size() - 1 : lines.size();
  for (size_t i = 0; i < complete_lines; ++i) {
    Line& ln = lines[i];
    ln.parsed = Parse(ln.text);
    ln.hash = HexDigest(crypto::Sha256(ln.text));
    if (ln.parsed && MacVerifies(*ln.parsed, keys)) {
      ln.authentic = true;
      ++authentic;
      line_of_seq.emplace(ln.parsed->seq, i);
    }
  }
  if (complete_lines > 0 && authentic == 0) {
    r.ok = false;
    r.first_problem = "no entry verifies under this key file: the wrong audit key, or every entry modified";
    return r;
  }
  uint64_t expected = 1;
  uint64_t last_checkpoint_seq = 0;
  bool last_final = false;
  uint32_t max_kv = 0;
  constexpr size_t kNone = static_cast<size_t>(-1);
  size_t unvouched = kNone;    // the first line of a run under retired versions
  std::string anchor_problem;  // what entry expect->seq is instead of the expected checkpoint
  // The line of the first entry at or after `from` whose mac verifies, when
  // every line from `from` to it is linked by prev (each line's prev the
  // hash of the one before): that entry vouches for line `from` as it is.
  auto vouched_by = [&](size_t from) -> size_t {
    for (size_t j = from; j < complete_lines; ++j) {
      if (!lines[j].parsed) return kNone;
      if (lines[j].authentic) return j;
      if (j + 1 >= complete_lines || !lines[j + 1].parsed || lines[j + 1].parsed->prev != lines[j].hash) return kNone;
    }
    return kNone;
  };
  VerifyReport before_line = r;      // the report before line i was read
  VerifyReport before_previous = r;  // and before line i - 1
  for (size_t i = 0; i < complete_lines; ++i) {
    before_previous = std::move(before_line);
    before_line = r;
    const Line& ln = lines[i];
    if (!ln.parsed) {
      r.first_problem = L(i) + ": not a trail entry (malformed: modified or inserted)";
      return r;
    }
    const Parsed& p = *ln.parsed;
    const std::string entry = "entry " + std::to_string(p.seq) + " (" + L(i) + ")";
    // A version older than every one in the key file was retired from it:
    // its entries are not checked by their mac but by the hash chain, which
    // a later entry under a version in the file vouches for (its prev is
    // the hash of the line before it, and so on back). Whoever kept the
    // retired version cannot rewrite what such an entry vouches for.
    const bool retired = !keys.mac.empty() && p.kv < keys.mac.begin()->first;
    if (!retired && !keys.mac.count(p.kv)) {
      r.first_problem = entry + ": audit key version " + std::to_string(p.kv) + " is not in the key file";
      return r;
    }
    if (!retired && !ln.authentic) {
      r.first_problem = entry + ": mac does not verify (modified, or forged without the key)";
      return r;
    }
    if (retired) {
      if (unvouched == kNone) unvouched = i;
    } else {
      unvouched = kNone;
    }
    // The writer signs with the key file's active version, and a rotation
    // only raises it: a later entry under an older version was signed with
    // a key retired by then (whoever still holds it rewrote the entry).
    if (p.kv < max_kv) {
      r.first_problem = entry + ": signed with audit key version " + std::to_string(p.kv) + " after version " +
                        std::to_string(max_kv) + " signed an earlier entry (rewritten with a retired key)";
      return r;
    }
    max_kv = p.kv;
    if (p.seq != expected) {
      const std::string head =
          L(i) + ": seq " + std::to_string(p.seq) + " where " + std::to_string(expected) + " was expected";
      if (p.seq < expected) {
        for (size_t j = 0; j < i; ++j)
          if (lines[j].hash == ln.hash) {
            r.first_problem = L(i) + ": a copy of entry " + std::to_string(p.seq) + " (" + L(j) + ") (inserted)";
            return r;
          }
        r.first_problem = head + " (reordered: entry " + std::to_string(p.seq) + " came earlier)";
        return r;
      }
      auto later = line_of_seq.find(expected);
      if (later != line_of_seq.end() && later->second > i)
        r.first_problem = head + " (reordered: entry " + std::to_string(expected) + " is at " + L(later->second) + ")";
      else if (p.seq == expected + 1)
        r.first_problem = head + " (entry " + std::to_string(expected) + " deleted)";
      else
        r.first_problem =
            head + " (entries " + std::to_string(expected) + " to " + std::to_string(p.seq - 1) + " deleted)";
      return r;
    }
    if (p.prev != r.last_hash) {
      // The line before was signed with a retired version (its mac is not
      // checked) and this one is vouched for by an entry whose mac verifies:
      // then it is the line before that differs from what the chain
      // records, i.e. was modified, not this one inserted.
      if (i > 0 && lines[i - 1].parsed && !lines[i - 1].authentic) {
        if (const size_t k = vouched_by(i); k != kNone) {
          const uint64_t seq = lines[i - 1].parsed->seq;
          r = std::move(before_previous);
          r.first_problem = "entry " + std::to_string(seq) + " (" + L(i - 1) +
                            "): signed with a retired audit key version (its mac is not checked), and its hash is "
                            "not the one " +
                            L(i) + " records, which entry " + std::to_string(lines[k].parsed->seq) + " (" + L(k) +
                            ") vouches for under a key in the file (modified)";
          return r;
        }
      }
      r.first_problem = i == 0 ? L(i) + ": prev is not 64 zeros for the first entry (taken from another trail)"
                               : L(i) + ": prev does not match the hash of " + L(i - 1) +
                                     " (an entry inserted or taken from another trail)";
      return r;
    }
    if (p.checkpoint) {
      if (p.cp_entries != p.seq - 1 || p.cp_chain != r.chain) {
        r.first_problem = entry + ": checkpoint does not match the entries before it";
        return r;
      }
      last_checkpoint_seq = p.seq;
      r.since_checkpoint = 0;
    } else {
      ++r.since_checkpoint;
    }
    if (expect && p.seq == expect->seq) {
      if (!p.checkpoint)
        anchor_problem = entry + " is a " + p.event + " entry, not the expected checkpoint";
      else if (p.cp_chain.compare(0, expect->chain.size(), expect->chain) != 0)
        anchor_problem = entry + " is a checkpoint of another chain than the expected one";
    }
    last_final = p.checkpoint && p.cp_final;
    if (p.event == "trail_resumed") r.resumed_at.push_back(p.seq);
    r.entries = i + 1;
    r.last_seq = p.seq;
    r.last_event = p.event;
    r.last_hash = ln.hash;
    crypto::Sha256Digest c = crypto::Sha256(r.chain + std::string(ln.text));
    r.chain = HexDigest(c);
    r.good_bytes = static_cast<uint64_t>(ln.text.data() - text.data()) + ln.text.size() + 1;
    ++expected;
  }
  if (unvouched != kNone) {
    r.ok = false;
    r.first_problem = L(unvouched) +
                      " and after: signed with an audit key version retired from the key file, and no "
                      "later entry under a version in it vouches for them (rewritten with a retired key)";
    return r;
  }
  // The checkpoint the caller recorded elsewhere (a writer's anchor): a trail
  // without it was cut before it, replaced, or rewritten from it on.
  if (expect) {
    const std::string want = "the expected checkpoint (" + AnchorText(*expect) + ")";
    if (!anchor_problem.empty()) {
      r.first_problem = anchor_problem + ": " + want + " is not in the trail (replaced, or rewritten)";
      return r;
    }
    if (r.last_seq < expect->seq) {
      r.first_problem = "the trail ends at seq " + std::to_string(r.last_seq) + ", before " + want +
                        ": entries cut away (or the trail replaced)";
      return r;
    }
    r.anchor_seq = expect->seq;
  }
  // Text after the last entry without a newline that cannot be the start of
  // the next entry (garbage, another seq, a whole object that does not
  // verify) was added or changed, not cut.
  if (r.partial_last_line && !unterminated_object && !MayBeCutEntry(lines.back().text, expected)) {
    r.first_problem = L(lines.size() - 1) + ": not a trail entry, nor the start of entry " + std::to_string(expected) +
                      " cut short (no newline): appended or modified";
    return r;
  }
  r.ok = true;
  r.last_checkpoint_seq = last_checkpoint_seq;
  if (r.partial_last_line) {
    r.first_problem = L(lines.size() - 1) + ": partial last line (no newline): the file was cut within an entry";
  } else if (r.entries == 0) {
    r.first_problem = "empty: no entries (a trail always has one)";
  } else if (!last_final) {
    r.first_problem = "open: " + std::to_string(r.since_checkpoint) + " entries after the last checkpoint at seq " +
                      std::to_string(last_checkpoint_seq) +
                      " and no final checkpoint (cut short, or the writer is still running or crashed)";
  } else {
    r.complete = true;
  }
  return r;
}

int VerifyExitCode(const VerifyReport& report, bool allow_open) {
  if (!report.ok) return kVerifyTampered;
  if (!report.resumed_at.empty() && !allow_open) return kVerifyOpen;
  if (report.complete) return kVerifyIntact;
  if (allow_open && !report.partial_last_line && report.entries > 0) return kVerifyIntact;
  return kVerifyOpen;
}

Result<VerifyReport> Verify(const std::string& path, const std::string& key_file, const Anchor* expect) {
  auto keys = TrailKeys::Load(key_file);
  if (!keys.ok()) return keys.error();
  auto text = file::ReadRegular(path, ErrorCode::kAuditFailed, size_t{1} << 40);
  if (!text.ok())
    return Error(ErrorCode::kAuditFailed, "cannot read audit trail " + path + ": " + text.error().message);
  return VerifyText(*text, **keys, expect);
}

std::string Summary(const VerifyReport& r) {
  if (!r.ok) return "tampered: " + std::to_string(r.entries) + " entries verify before the first problem";
  if (r.entries == 0 && !r.partial_last_line) return "empty: 0 entries";
  std::string s = r.complete ? "intact: " + std::to_string(r.entries) + " entries, complete (final checkpoint at seq " +
                                   std::to_string(r.last_checkpoint_seq) + ")"
                             : "intact but open: " + std::to_string(r.entries) + " entries, last checkpoint at seq " +
                                   std::to_string(r.last_checkpoint_seq) + ", " + std::to_string(r.since_checkpoint) +
                                   " entries after it";
  if (r.anchor_seq != 0) s += "; holds the expected checkpoint at seq " + std::to_string(r.anchor_seq);
  if (!r.resumed_at.empty()) {
    s += "; " + std::to_string(r.resumed_at.size()) + " unclean end(s): a writer resumed a trail its last writer " +
         "had not closed (a crash, or entries cut away) at seq";
    for (uint64_t seq : r.resumed_at) {
      s += " " + std::to_string(seq);
      // Only a writer that found the file without a single entry writes it first.
      if (seq == 1) s += " (the file was found empty: every earlier entry missing)";
    }
  }
  return s;
}

}  // namespace maskproxy::audit
