#include "app/playground.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "app/policy_set.h"
#include "app/policy_tests.h"
#include "batch/batch.h"
#include "common/file.h"
#include "common/text.h"
#include "common/unicode.h"
#include "crypto/base64.h"
#include "crypto/keyring.h"
#include "crypto/mac.h"
#include "crypto/usage.h"
#include "policy/policy.h"

namespace maskproxy::app {
namespace {

using text::AppendJsonQuoted;
using text::JsonQuoted;

// The origin a pasted policy has in its messages ("playground:3:7: ...").
constexpr char kPastedOrigin[] = "playground";
constexpr size_t kMinSessionBytes = 16;
constexpr size_t kMaxSessionBytes = 64;

// 1-based line and column (in characters) of byte `offset` of `s`.
void LineCol(std::string_view s, size_t offset, int* line, int* col) {
  *line = 1;
  *col = 1;
  for (size_t i = 0; i < offset && i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\n') {
      ++*line;
      *col = 1;
    } else if ((c & 0xC0) != 0x80) {
      ++*col;
    }
  }
}

PlaygroundReply ErrorReply(int status, ErrorCode code, const std::string& message, int line = 0, int col = 0) {
  std::string out = "{\"error\":" + JsonQuoted(ErrorCodeName(code)) + ",\"message\":" + JsonQuoted(message);
  if (line > 0) out += ",\"line\":" + std::to_string(line) + ",\"col\":" + std::to_string(col);
  return {status, out + "}"};
}

// The request: a flat JSON object of strings and booleans, read strictly
// (RFC 8259) with the location of the first error.
struct Request {
  std::optional<std::string> policy, policy_file;
  std::string events, format = "jsonl", route, topic, session;
  bool run_tests = true;
};

class RequestReader {
 public:
  explicit RequestReader(std::string_view s) : s_(s) {}

  // nullopt and *err set on a bad body.
  std::optional<Request> Read(PlaygroundReply* err) {
    Request req;
    Ws();
    if (!Eat('{')) return Fail(err, "expected '{' (the body is a JSON object)");
    Ws();
    std::set<std::string> seen;
    if (!Eat('}')) {
      while (true) {
        Ws();
        if (i_ >= s_.size() || s_[i_] != '"') return Fail(err, "expected a member name in double quotes");
        const size_t name_at = i_;
        std::string name;
        if (!String(&name)) return Fail(err, what_);
        Ws();
        if (!Eat(':')) return Fail(err, "expected ':' after the member name");
        Ws();
        if (!seen.insert(name).second) return Member(err, name_at, "duplicate member '" + name + "'");
        const size_t value_at = i_;
        if (name == "run_tests") {
          if (Lit("true")) {
            req.run_tests = true;
          } else if (Lit("false")) {
            req.run_tests = false;
          } else {
            return Member(err, value_at, "'run_tests' must be true or false");
          }
        } else {
          std::string* target = name == "events"        ? &req.events
                                : name == "format"      ? &req.format
                                : name == "route"       ? &req.route
                                : name == "topic"       ? &req.topic
                                : name == "session"     ? &req.session
                                : name == "policy"      ? &req.policy.emplace()
                                : name == "policy_file" ? &req.policy_file.emplace()
                                                        : nullptr;
          if (!target)
            return Member(err, name_at,
                          "unknown member '" + name +
                              "' (expected: policy, policy_file, events, format, route, topic, session, run_tests)");
          if (i_ >= s_.size() || s_[i_] != '"') return Member(err, value_at, "'" + name + "' must be a string");
          target->clear();  // replaces the default (format)
          if (!String(target)) return Fail(err, what_);
        }
        Ws();
        if (Eat(',')) continue;
        if (Eat('}')) break;
        return Fail(err, "expected ',' or '}'");
      }
    }
    Ws();
    if (i_ != s_.size()) return Fail(err, "trailing characters after the object");
    return req;
  }

 private:
  std::optional<Request> Fail(PlaygroundReply* err, const std::string& what) const {
    int line = 0, col = 0;
    LineCol(s_, i_, &line, &col);
    *err = ErrorReply(400, ErrorCode::kInvalidJson, "request body: " + what, line, col);
    return std::nullopt;
  }
  std::optional<Request> Member(PlaygroundReply* err, size_t at, const std::string& what) const {
    int line = 0, col = 0;
    LineCol(s_, at, &line, &col);
    *err = ErrorReply(400, ErrorCode::kInvalidArgument, "request body: " + what, line, col);
    return std::nullopt;
  }
  void Ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  bool Eat(char c) {
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool Lit(std::string_view w) {
    if (s_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }
  bool Hex4(uint32_t* cp) {
    if (i_ + 4 > s_.size()) return false;
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = s_[i_++];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        v |= static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return false;
      }
    }
    *cp = v;
    return true;
  }
  static void Utf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  // At the opening quote. False with what_ set on an error (i_ at it).
  bool String(std::string* out) {
    ++i_;
    while (i_ < s_.size()) {
      const auto c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c < 0x20) return Bad("a control character in a string (write it as \\n, \\t, ...)");
      if (c != '\\') {
        out->push_back(static_cast<char>(c));
        ++i_;
        continue;
      }
      if (i_ + 1 >= s_.size()) break;
      const char e = s_[i_ + 1];
      i_ += 2;
      switch (e) {
        case '"': out->push_back('"'); break;
        case '\\': out->push_back('\\'); break;
        case '/': out->push_back('/'); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          uint32_t cp = 0;
          if (!Hex4(&cp)) return Bad("a bad \\u escape");
          if (cp >= 0xD800 && cp < 0xDC00) {
            uint32_t lo = 0;
            if (!Lit("\\u") || !Hex4(&lo) || lo < 0xDC00 || lo >= 0xE000) return Bad("an unpaired surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp < 0xE000) {
            return Bad("an unpaired surrogate");
          }
          Utf8(cp, out);
          break;
        }
        default: i_ -= 2; return Bad("a bad escape");
      }
    }
    return Bad("an unterminated string");
  }
  bool Bad(std::string what) {
    what_ = std::move(what);
    return false;
  }

  std::string_view s_;
  size_t i_ = 0;
  std::string what_;
};

// "ORIGIN:LINE:COL: message" lines (policy::Policy::Parse, CheckRoutes) as
// [{line, col, message}]; a line without a location has line 0.
void AppendDiagnostics(const std::string& text, const std::string& origin, std::string* out) {
  bool first = true;
  for (size_t b = 0, e; b < text.size(); b = e + 1) {
    e = text.find('\n', b);
    if (e == std::string::npos) e = text.size();
    std::string_view msg(text.data() + b, e - b);
    if (msg.empty()) continue;
    int line = 0, col = 0;
    const std::string prefix = origin + ":";
    if (msg.starts_with(prefix)) {
      std::string_view rest = msg.substr(prefix.size());
      size_t c1 = rest.find(':');
      size_t c2 = c1 == std::string_view::npos ? c1 : rest.find(':', c1 + 1);
      if (c2 != std::string_view::npos) {
        const std::string l(rest.substr(0, c1)), c(rest.substr(c1 + 1, c2 - c1 - 1));
        if (!l.empty() && !c.empty() && l.find_first_not_of("0123456789") == std::string::npos &&
            c.find_first_not_of("0123456789") == std::string::npos && l.size() < 9 && c.size() < 9) {
          line = std::stoi(l);
          col = std::stoi(c);
          msg = rest.substr(c2 + 1);
          if (msg.starts_with(" ")) msg.remove_prefix(1);
        }
      }
    }
    if (!first) out->push_back(',');
    first = false;
    *out += "{\"line\":" + std::to_string(line) + ",\"col\":" + std::to_string(col) + ",\"message\":";
    AppendJsonQuoted(msg, out);
    out->push_back('}');
  }
}

// The policy's warnings (null: it did not compile) and `extra` lines, as
// [{line, col, message}].
std::string Warnings(const policy::Policy* p, const std::string& extra, const std::string& origin) {
  std::string all;
  if (p)
    for (const auto& w : p->warnings()) all += w + "\n";
  all += extra;
  std::string out = "[";
  AppendDiagnostics(all, origin, &out);
  return out + "]";
}

std::string RuleName(const policy::Rule& r) {
  if (r.target == policy::Target::kKey) return "$key";
  if (r.target == policy::Target::kHeader) return "$header." + r.header;
  return r.path.text;
}

// One sample event of a JSON Lines input, masked as the proxy masks a
// record value from the route's source topic.
void AppendEvent(const engine::Engine& eng, const engine::RouteRef& ref, std::string_view topic, int line,
                 std::string_view raw, std::string* out) {
  engine::RecordView view{topic, std::nullopt, raw, {}};
  engine::MaskedRecord rec;
  Status st = eng.MaskRecord(ref, view, &rec);
  *out += "{\"line\":" + std::to_string(line) + ",\"raw\":";
  AppendJsonQuoted(raw, out);
  if (!st.ok()) {
    // The reason and its message (which never holds the value).
    *out += ",\"dead_letter\":{\"reason\":" + JsonQuoted(ErrorCodeName(st.error().code)) +
            ",\"detail\":" + JsonQuoted(st.error().message) + "}}";
    return;
  }
  *out += ",\"masked\":";
  AppendJsonQuoted(rec.value, out);
  // The rules behind each protected value, in rule order, with how often.
  std::map<int32_t, int> counts;
  for (int32_t i : rec.applied) ++counts[i];
  *out += ",\"rules\":[";
  bool first = true;
  for (const auto& [index, count] : counts) {
    if (index < 0 || static_cast<size_t>(index) >= ref.route->rules.size()) continue;
    const policy::Rule& r = ref.route->rules[static_cast<size_t>(index)];
    if (!first) out->push_back(',');
    first = false;
    *out += "{\"path\":" + JsonQuoted(RuleName(r)) + ",\"action\":" + JsonQuoted(r.action_name) +
            ",\"rule_line\":" + std::to_string(r.line) + ",\"count\":" + std::to_string(count) + "}";
  }
  *out += "],\"findings\":[";
  for (size_t i = 0; i < rec.findings.size(); ++i) {
    const engine::Finding& f = rec.findings[i];
    if (i) out->push_back(',');
    *out += "{\"field\":" + JsonQuoted(f.field) + ",\"detector\":" + JsonQuoted(f.detector) +
            ",\"unlisted\":" + (f.unlisted ? "true" : "false") + "}";
  }
  *out += "]}";
}

// JSON Lines: one event per non-blank line.
std::vector<std::pair<int, std::string_view>> JsonLines(std::string_view events) {
  std::vector<std::pair<int, std::string_view>> out;
  int line = 0;
  for (size_t b = 0, e; b < events.size(); b = e + 1) {
    ++line;
    e = events.find('\n', b);
    if (e == std::string_view::npos) e = events.size();
    std::string_view l = events.substr(b, e - b);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    if (l.find_first_not_of(" \t") == std::string_view::npos) continue;
    out.emplace_back(line, l);
  }
  return out;
}

// CSV: the batch driver over the text (the header row names the columns);
// the masked text and its quarantine entries (JSON lines with the line and
// the reason).
std::string CsvResult(const engine::Engine& eng, const engine::RouteRef& ref, const std::string& events) {
  std::istringstream in(events);
  std::ostringstream masked, quarantine;
  batch::BatchOptions bo;
  bo.format = batch::Format::kCsv;
  auto stats = batch::MaskStream(eng, ref, in, masked, &quarantine, bo);
  std::string out = "{\"masked\":";
  AppendJsonQuoted(masked.str(), &out);
  if (!stats.ok()) {
    out += ",\"error\":{\"reason\":" + JsonQuoted(ErrorCodeName(stats.error().code)) +
           ",\"detail\":" + JsonQuoted(stats.error().message) + "}";
  } else {
    out += ",\"records\":" + std::to_string(stats->records) + ",\"masked_records\":" + std::to_string(stats->masked);
  }
  // Each quarantine entry is one JSON object per line (batch.h).
  out += ",\"dead_letters\":[";
  const std::string q = quarantine.str();
  bool first = true;
  for (size_t b = 0, e; b < q.size(); b = e + 1) {
    e = q.find('\n', b);
    if (e == std::string::npos) e = q.size();
    if (e == b) continue;
    if (!first) out.push_back(',');
    first = false;
    out.append(q, b, e - b);
  }
  return out + "]}";
}

size_t CsvRows(std::string_view events) {
  size_t rows = 0;
  for (const auto& l : JsonLines(events)) {
    (void)l;
    ++rows;
  }
  return rows == 0 ? 0 : rows - 1;  // the header row is not an event
}

// A `key:` of a policy's actions, at its value's place.
struct KeyUse {
  std::string name;
  int line = 0, col = 0;
};

// The keys a policy's actions use: `key:` of each route's rules and of each
// scan action. Only those places are read: test inputs (where a member
// called `key` is record data, maybe PII) are not, nor walked through their
// YAML aliases.
void CollectKeyUses(const YAML::Node& root, std::vector<KeyUse>* uses) {
  auto add = [&](const YAML::Node& action) {
    if (!action.IsMap()) return;
    const YAML::Node k = action["key"];
    if (k && k.IsScalar() && crypto::IsValidKeyName(k.Scalar()))
      uses->push_back({k.Scalar(), k.Mark().line + 1, k.Mark().column + 1});
  };
  if (!root.IsMap()) return;
  if (const YAML::Node routes = root["routes"]; routes && routes.IsSequence()) {
    for (const auto& route : routes) {
      if (!route.IsMap()) continue;
      if (const YAML::Node rules = route["rules"]; rules && rules.IsSequence())
        for (const auto& rule : rules) add(rule);
    }
  }
  if (const YAML::Node scan = root["scan"]; scan && scan.IsMap()) {
    if (const YAML::Node actions = scan["actions"]; actions && actions.IsMap())
      for (const auto& kv : actions) add(kv.second);
  }
}

std::vector<KeyUse> KeyUsesIn(std::string_view yaml) {
  std::vector<KeyUse> uses;
  try {
    CollectKeyUses(YAML::Load(std::string(yaml)), &uses);
  } catch (const YAML::Exception&) {
    return {};  // the policy's own parse reports where
  }
  return uses;
}

// What `policy check` with the loaded keyring says of a key it does not
// hold, as a warning at the key's place ("ORIGIN:LINE:COL: ..." lines): the
// throwaway keyring has every key the policy names, so the dry run itself
// cannot fail on one. Nothing while no keyring is loaded (shapes empty): a
// page used without keys warns of nothing.
std::string MissingKeyWarnings(const std::vector<KeyUse>& uses, const std::map<std::string, KeyShape>& shapes,
                               const std::string& origin) {
  if (shapes.empty()) return "";
  std::vector<std::string> loaded;
  for (const auto& [name, shape] : shapes) loaded.push_back(name);
  std::string out;
  for (const KeyUse& u : uses) {
    if (shapes.count(u.name)) continue;
    // Material pasted as a key's name is not echoed, nor a suggestion for it.
    const std::string hint = crypto::MayBeKeyMaterial(u.name) ? "" : text::Suggest(u.name, loaded);
    out += text::Located(origin, u.line, u.col,
                         "key" + crypto::ShownName(u.name) + " is not in the keyring" +
                             (hint.empty() || crypto::MayBeKeyMaterial(hint) ? "" : " (did you mean '" + hint + "'?)") +
                             ": `policy check` and `run` refuse this policy with the loaded keyring; the "
                             "playground masks with a throwaway key of that name") +
           "\n";
  }
  return out;
}

std::string ReadFile(const std::string& path, bool* ok) {
  auto text = file::ReadRegular(path, ErrorCode::kPolicyUnreadable, file::kMaxDocumentBytes);
  *ok = text.ok();
  return text.ok() ? std::move(text).value() : std::string();
}

}  // namespace

std::map<std::string, KeyShape> KeyShapes(const crypto::Keyring& keys) {
  std::map<std::string, KeyShape> out;
  for (const std::string& name : keys.Names()) {
    const crypto::Key* k = keys.Find(name);
    if (!k) continue;
    KeyShape s{k->active, {}};
    for (const auto& [v, material] : k->versions) {
      (void)material;
      s.versions.push_back(v);
    }
    out[name] = std::move(s);
  }
  return out;
}

std::vector<std::string> KeyNamesIn(std::string_view yaml) {
  std::set<std::string> names;
  for (KeyUse& u : KeyUsesIn(yaml)) names.insert(std::move(u.name));
  return {names.begin(), names.end()};
}

Result<crypto::Keyring> ThrowawayKeyring(const crypto::SecretBytes& session, const std::vector<std::string>& names,
                                         const std::map<std::string, KeyShape>& shapes) {
  if (names.empty()) return crypto::Keyring{};
  std::string yaml = "keys:\n";
  for (const std::string& name : names) {
    KeyShape shape{1, {1}};
    if (auto it = shapes.find(name); it != shapes.end() && !it->second.versions.empty()) shape = it->second;
    yaml += "  " + name + ":\n    active: " + std::to_string(shape.active) + "\n    versions:\n";
    for (uint32_t v : shape.versions) {
      auto material =
          crypto::HkdfSha256(session, "maskproxy/playground/v1", name + ":" + std::to_string(v), crypto::kMinKeyBytes);
      if (!material.ok()) {
        OPENSSL_cleanse(yaml.data(), yaml.size());
        return material.error();
      }
      std::string b64 = crypto::Base64Encode(material->data(), material->size());
      yaml += "      " + std::to_string(v) + ": " + b64 + "\n";
      OPENSSL_cleanse(b64.data(), b64.size());
    }
  }
  auto keys = crypto::Keyring::Parse(yaml, "(playground throwaway keys)");
  OPENSSL_cleanse(yaml.data(), yaml.size());
  return keys;
}

std::string LoadedPoliciesJson(const std::vector<std::string>& files) {
  std::string out = "{\"policies\":[";
  for (size_t i = 0; i < files.size(); ++i) {
    if (i) out.push_back(',');
    bool ok = false;
    std::string text = ReadFile(files[i], &ok);
    out += "{\"file\":" + JsonQuoted(files[i]);
    if (ok && unicode::FirstInvalidUtf8(text) == std::string::npos) {
      out += ",\"text\":" + JsonQuoted(text) + "}";
    } else {
      out += ",\"error\":\"policy_unreadable\"}";
    }
  }
  return out + "]}";
}

PlaygroundReply EvaluatePolicy(std::string_view body, const PlaygroundOptions& options) {
  if (size_t bad = unicode::FirstInvalidUtf8(body); bad != std::string_view::npos) {
    int line = 0, col = 0;
    LineCol(body, bad, &line, &col);
    return ErrorReply(400, ErrorCode::kInvalidUtf8, "request body: not UTF-8", line, col);
  }
  PlaygroundReply err;
  RequestReader reader(body);
  std::optional<Request> req = reader.Read(&err);
  if (!req) return err;
  if (req->policy.has_value() == req->policy_file.has_value())
    return ErrorReply(400, ErrorCode::kInvalidArgument, "give one of 'policy' (YAML text) or 'policy_file'");
  if (req->format != "jsonl" && req->format != "csv")
    return ErrorReply(400, ErrorCode::kInvalidArgument, "'format' must be jsonl or csv");

  // The events are counted before anything is compiled or masked.
  const size_t events = req->format == "csv" ? CsvRows(req->events) : JsonLines(req->events).size();
  if (events > options.max_events)
    return ErrorReply(413, ErrorCode::kTooLarge,
                      std::to_string(events) + " events; at most " + std::to_string(options.max_events) +
                          " per call (admin.playground.max_events)");

  // The session secret: the page's, or a fresh one answered back.
  crypto::SecretBytes session;
  std::string drawn;  // base64url of a session the server drew
  if (!req->session.empty()) {
    auto bytes = crypto::Base64UrlDecode(req->session);
    if (!bytes || bytes->size() < kMinSessionBytes || bytes->size() > kMaxSessionBytes)
      return ErrorReply(400, ErrorCode::kInvalidArgument, "'session' must be base64url of 16 to 64 random bytes");
    session = crypto::SecretBytes(std::move(*bytes));
  } else {
    std::vector<uint8_t> fresh(32);
    if (RAND_bytes(fresh.data(), static_cast<int>(fresh.size())) != 1)
      return ErrorReply(500, ErrorCode::kCryptoFailed, "no random session could be drawn");
    crypto::Base64UrlEncode(fresh.data(), fresh.size(), &drawn);
    session = crypto::SecretBytes(std::move(fresh));
  }

  std::string origin = kPastedOrigin, yaml;
  if (req->policy_file) {
    if (!options.policy_files_readable)
      return {403,
              "{\"error\":\"forbidden\",\"message\":\"'policy_file' reads a loaded policy, an operator's: the "
              "client certificate's subject is not listed in admin.operators (paste the policy as 'policy')\"}"};
    if (std::find(options.policy_files.begin(), options.policy_files.end(), *req->policy_file) ==
        options.policy_files.end())
      return ErrorReply(400, ErrorCode::kInvalidArgument,
                        "'policy_file' is not one of the loaded policy files (GET /v1/policy/loaded)");
    bool ok = false;
    yaml = ReadFile(*req->policy_file, &ok);
    if (!ok) return ErrorReply(422, ErrorCode::kPolicyUnreadable, "cannot read " + *req->policy_file);
    origin = *req->policy_file;
  } else {
    yaml = std::move(*req->policy);
  }

  std::string head = "{\"keys\":\"throwaway\"";
  if (!drawn.empty()) head += ",\"session\":" + JsonQuoted(drawn);
  const std::vector<KeyUse> key_uses = KeyUsesIn(yaml);
  std::set<std::string> key_names;
  for (const KeyUse& u : key_uses) key_names.insert(u.name);
  const std::string key_warnings = MissingKeyWarnings(key_uses, options.key_shapes, origin);
  auto keys = ThrowawayKeyring(session, {key_names.begin(), key_names.end()}, options.key_shapes);
  if (!keys.ok()) return ErrorReply(500, keys.error().code, keys.error().message);
  head += ",\"key_names\":[";
  {
    bool first = true;
    for (const std::string& n : keys->Names()) {
      // A rule's key may be material pasted where a name belongs.
      head += (first ? "" : ",") + JsonQuoted(crypto::MayBeKeyMaterial(n) ? "(not shown: it may be key material)" : n);
      first = false;
    }
  }
  head += "]";

  // As `maskproxy policy check` loads a file: compile, the checks between
  // routes, the engine (an in-memory ledger; nothing is written).
  auto compiled = policy::Policy::Parse(yaml, origin, *keys, crypto::UsageLedger::InMemory());
  auto refuse = [&](const Error& e, const std::string& warnings) {
    std::string out = head + ",\"ok\":false,\"error\":" + JsonQuoted(ErrorCodeName(e.code)) + ",\"errors\":[";
    AppendDiagnostics(e.message, origin, &out);
    return PlaygroundReply{422, out + "],\"warnings\":" + warnings + "}"};
  };
  if (!compiled.ok()) return refuse(compiled.error(), Warnings(nullptr, key_warnings, origin));
  const std::shared_ptr<const policy::Policy>& pol = *compiled;
  std::vector<Error> conflicts = CheckRoutes({pol});
  if (!conflicts.empty()) {
    std::string all;
    for (const auto& e : conflicts) all += e.message + "\n";
    return refuse(Error(conflicts.front().code, all), Warnings(pol.get(), key_warnings, origin));
  }
  auto eng = engine::Engine::Create({pol}, options.limits);
  if (!eng.ok()) return refuse(eng.error(), Warnings(pol.get(), key_warnings, origin));

  const policy::Route* route =
      req->route.empty() ? (pol->routes().empty() ? nullptr : &pol->routes().front()) : pol->FindRoute(req->route);
  if (!route) {
    std::vector<std::string> names;
    for (const auto& r : pol->routes()) names.push_back(r.name);
    return ErrorReply(400, ErrorCode::kInvalidArgument,
                      "no route" + text::Shown(text::OneLine(text::Clip(req->route))) +
                          " in the policy (routes: " + text::Join(names) + ")");
  }
  // With a topic, the route is the one the proxy would pick for it (an exact
  // `from`, else the first matching pattern): a named route that would not
  // get the topic, or a topic no route reads, is refused, not masked.
  if (!req->topic.empty()) {
    const engine::RouteRef* actual = (*eng)->FindRoute(req->topic);
    if (!actual)
      return ErrorReply(400, ErrorCode::kInvalidArgument,
                        "no route of the policy reads topic" + text::Shown(text::OneLine(text::Clip(req->topic))) +
                            " (the proxy would not consume it)");
    if (req->route.empty()) {
      route = actual->route;
    } else if (actual->route != route) {
      return ErrorReply(400, ErrorCode::kInvalidArgument,
                        "topic" + text::Shown(text::OneLine(text::Clip(req->topic))) + " is routed to route '" +
                            actual->route->name + "' (the first route whose 'from' matches it), not to route '" +
                            route->name + "'");
    }
  }
  const engine::RouteRef* ref = (*eng)->RouteFor(route);
  if (!ref) return ErrorReply(500, ErrorCode::kInternal, "the route has no engine entry");
  const std::string topic = req->topic.empty() ? route->from : req->topic;

  std::string out = head + ",\"ok\":true,\"policy\":{\"name\":" + JsonQuoted(pol->name()) +
                    ",\"version\":" + std::to_string(pol->version()) + ",\"label\":" + JsonQuoted(pol->Label()) +
                    ",\"routes\":[";
  for (size_t i = 0; i < pol->routes().size(); ++i) {
    const policy::Route& r = pol->routes()[i];
    out += (i ? "," : "") + std::string("{\"name\":") + JsonQuoted(r.name) + ",\"from\":" + JsonQuoted(r.from) +
           ",\"to\":" + JsonQuoted(r.to) + ",\"dead_letter\":" + JsonQuoted(r.dead_letter) + "}";
  }
  out += "]},\"route\":" + JsonQuoted(route->name) + ",\"topic\":" + JsonQuoted(topic) +
         ",\"format\":" + JsonQuoted(req->format) +
         ",\"errors\":[],\"warnings\":" + Warnings(pol.get(), key_warnings, origin);
  if (req->format == "csv") {
    out += ",\"csv\":" + CsvResult(**eng, *ref, req->events) + ",\"events\":[]";
  } else {
    out += ",\"events\":[";
    bool first = true;
    for (const auto& [line, raw] : JsonLines(req->events)) {
      if (!first) out.push_back(',');
      first = false;
      AppendEvent(**eng, *ref, topic, line, raw, &out);
    }
    out += "]";
  }
  out += ",\"tests\":[";
  if (req->run_tests) {
    bool first = true;
    for (const auto& t : RunPolicyTests(pol, options.limits)) {
      if (!first) out.push_back(',');
      first = false;
      out += "{\"name\":" + JsonQuoted(t.name) + ",\"line\":" + std::to_string(t.line) +
             ",\"passed\":" + (t.passed ? "true" : "false") + ",\"diffs\":[";
      for (size_t i = 0; i < t.diffs.size(); ++i) out += (i ? "," : "") + JsonQuoted(t.diffs[i]);
      out += "],\"warnings\":[";
      for (size_t i = 0; i < t.warnings.size(); ++i) out += (i ? "," : "") + JsonQuoted(t.warnings[i]);
      out += "]}";
    }
  }
  return {200, out + "]}"};
}

}  // namespace maskproxy::app
