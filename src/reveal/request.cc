#include "reveal/request.h"

#include <map>
#include <memory>
#include <variant>

#include "common/text.h"
#include "common/unicode.h"
#include "reveal/authz.h"

namespace maskproxy::reveal {
namespace {

// A small strict JSON reader (RFC 8259) for the request and response
// bodies: objects, arrays, strings, numbers (kept as text), true, false,
// null. Depth-bounded; duplicate members refused.
struct JValue;
using JObject = std::vector<std::pair<std::string, JValue>>;
using JArray = std::vector<JValue>;
struct JNumber {
  std::string text;
};
struct JValue {
  std::variant<std::nullptr_t, bool, JNumber, std::string, std::shared_ptr<JObject>, std::shared_ptr<JArray>> v;
};

class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}
  Result<JValue> Document() {
    // RFC 8259 text is UTF-8: a body that is not is refused whole (a route
    // or field named "\xff\xfe" was answered 403 naming a garbled route).
    if (const size_t bad = unicode::FirstInvalidUtf8(s_); bad != std::string_view::npos) {
      i_ = bad;
      return Bad("invalid UTF-8");
    }
    auto v = Value(0);
    if (!v.ok()) return v;
    Ws();
    if (i_ != s_.size()) return Bad("trailing characters");
    return v;
  }

 private:
  Error Bad(const std::string& what) const {
    return Error(ErrorCode::kInvalidJson, "request body is not JSON: " + what + " at byte " + std::to_string(i_));
  }
  void Ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  bool Lit(std::string_view w) {
    if (s_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
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
  bool Hex4(uint32_t* cp) {
    if (i_ + 4 > s_.size()) return false;
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = s_[i_++];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        v |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        v |= static_cast<uint32_t>(c - 'A' + 10);
      else
        return false;
    }
    *cp = v;
    return true;
  }
  Result<std::string> String() {
    ++i_;  // the opening quote
    std::string out;
    while (i_ < s_.size()) {
      const auto c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        ++i_;
        return out;
      }
      if (c < 0x20) return Bad("a control character in a string");
      if (c != '\\') {
        out.push_back(static_cast<char>(c));
        ++i_;
        continue;
      }
      if (++i_ >= s_.size()) break;
      const char e = s_[i_++];
      switch (e) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '/': out.push_back('/'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
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
          Utf8(cp, &out);
          break;
        }
        default: return Bad("a bad escape");
      }
    }
    return Bad("an unterminated string");
  }
  Result<JValue> Value(int depth) {
    if (depth > 16) return Bad("nesting too deep");
    Ws();
    if (i_ >= s_.size()) return Bad("unexpected end");
    const char c = s_[i_];
    if (c == '{') {
      ++i_;
      auto obj = std::make_shared<JObject>();
      Ws();
      if (i_ < s_.size() && s_[i_] == '}') {
        ++i_;
        return JValue{obj};
      }
      while (true) {
        Ws();
        if (i_ >= s_.size() || s_[i_] != '"') return Bad("expected a member name");
        auto name = String();
        if (!name.ok()) return name.error();
        for (const auto& [k, unused] : *obj)
          if (k == *name) return Bad("a member given twice");
        Ws();
        if (i_ >= s_.size() || s_[i_] != ':') return Bad("expected ':'");
        ++i_;
        auto v = Value(depth + 1);
        if (!v.ok()) return v;
        obj->emplace_back(std::move(*name), std::move(*v));
        Ws();
        if (i_ < s_.size() && s_[i_] == ',') {
          ++i_;
          continue;
        }
        if (i_ < s_.size() && s_[i_] == '}') {
          ++i_;
          return JValue{obj};
        }
        return Bad("expected ',' or '}'");
      }
    }
    if (c == '[') {
      ++i_;
      auto arr = std::make_shared<JArray>();
      Ws();
      if (i_ < s_.size() && s_[i_] == ']') {
        ++i_;
        return JValue{arr};
      }
      while (true) {
        auto v = Value(depth + 1);
        if (!v.ok()) return v;
        arr->push_back(std::move(*v));
        Ws();
        if (i_ < s_.size() && s_[i_] == ',') {
          ++i_;
          continue;
        }
        if (i_ < s_.size() && s_[i_] == ']') {
          ++i_;
          return JValue{arr};
        }
        return Bad("expected ',' or ']'");
      }
    }
    if (c == '"') {
      auto s = String();
      if (!s.ok()) return s.error();
      return JValue{std::move(*s)};
    }
    if (Lit("true")) return JValue{true};
    if (Lit("false")) return JValue{false};
    if (Lit("null")) return JValue{nullptr};
    if (c == '-' || (c >= '0' && c <= '9')) {
      const size_t b = i_;
      if (s_[i_] == '-') ++i_;
      if (i_ >= s_.size() || s_[i_] < '0' || s_[i_] > '9') return Bad("a bad number");
      if (s_[i_] == '0') {
        ++i_;
      } else {
        while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
      }
      if (i_ < s_.size() && s_[i_] == '.') {
        ++i_;
        if (i_ >= s_.size() || s_[i_] < '0' || s_[i_] > '9') return Bad("a bad number");
        while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
      }
      if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
        ++i_;
        if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
        if (i_ >= s_.size() || s_[i_] < '0' || s_[i_] > '9') return Bad("a bad number");
        while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
      }
      return JValue{JNumber{std::string(s_.substr(b, i_ - b))}};
    }
    return Bad("unexpected character");
  }

  std::string_view s_;
  size_t i_ = 0;
};

Error BadMember(const std::string& what) {
  return Error(ErrorCode::kInvalidArgument, what);
}

const std::string* AsString(const JValue& v) {
  return std::get_if<std::string>(&v.v);
}

}  // namespace

Result<ServiceRequest> ParseServiceRequest(std::string_view body, ServiceRequest* partial) {
  ServiceRequest local;
  ServiceRequest& r = partial ? *partial : local;
  r = ServiceRequest{};
  auto doc = Reader(body).Document();
  if (!doc.ok()) return doc.error();
  auto* objp = std::get_if<std::shared_ptr<JObject>>(&doc->v);
  if (!objp) return BadMember("the request body must be a JSON object");
  bool have_purpose = false, have_values = false;
  for (const auto& [name, v] : **objp) {
    auto str = [&, &name = name, &v = v](std::string* out) -> Status {
      const std::string* s = AsString(v);
      if (!s) return BadMember("'" + name + "' must be a string");
      *out = *s;
      return Status::Ok();
    };
    if (name == "route") {
      if (Status s = str(&r.route); !s.ok()) return s.error();
    } else if (name == "field") {
      if (Status s = str(&r.field); !s.ok()) return s.error();
    } else if (name == "topic") {
      if (Status s = str(&r.topic); !s.ok()) return s.error();
    } else if (name == "keys_header") {
      if (Status s = str(&r.keys_header); !s.ok()) return s.error();
    } else if (name == "json") {
      const bool* b = std::get_if<bool>(&v.v);
      if (!b) return BadMember("'json' must be true or false");
      r.json = *b;
    } else if (name == "key_version") {
      const JNumber* n = std::get_if<JNumber>(&v.v);
      if (!n || n->text.empty() || n->text.size() > 9 || n->text.find_first_not_of("0123456789") != std::string::npos ||
          std::stoul(n->text) == 0)
        return BadMember("'key_version' must be a positive integer");
      r.key_version = static_cast<uint32_t>(std::stoul(n->text));
    } else if (name == "purpose") {
      auto* p = std::get_if<std::shared_ptr<JObject>>(&v.v);
      if (!p) return BadMember("'purpose' must be an object {\"ticket\": ..., \"reason\": ...}");
      have_purpose = true;
      for (const auto& [pn, pv] : **p) {
        const std::string* s = AsString(pv);
        if (pn != "ticket" && pn != "reason")
          return BadMember("an unknown member in 'purpose' (known: ticket, reason)");
        if (!s) return BadMember("'purpose." + pn + "' must be a string");
        (pn == "ticket" ? r.ticket : r.reason) = *s;
      }
    } else if (name == "values") {
      auto* a = std::get_if<std::shared_ptr<JArray>>(&v.v);
      if (!a) return BadMember("'values' must be an array of strings");
      have_values = true;
      for (const auto& e : **a) {
        const std::string* s = AsString(e);
        if (!s) return BadMember("'values' must be an array of strings");
        r.values.push_back(*s);
      }
    } else {
      return BadMember(
          "an unknown member (known: route, field, topic, purpose, key_version, keys_header, json, values)");
    }
  }
  if (r.route.empty()) return BadMember("'route' is required");
  if (r.field.empty()) return BadMember("'field' is required");
  if (!have_purpose) return BadMember("'purpose' {\"ticket\": ..., \"reason\": ...} is required");
  if (TicketMissing(r.ticket)) return BadMember("'purpose.ticket' is required (not blank)");
  if (r.reason.empty()) return BadMember("'purpose.reason' is required");
  if (!IsPurposeClass(r.reason))
    return BadMember("'purpose.reason' must be one of the purpose classes: " + text::Join(PurposeClasses()));
  if (!have_values || r.values.empty()) return BadMember("'values' must hold at least one value");
  if (r.key_version && !r.keys_header.empty()) return BadMember("give keys_header or key_version, not both");
  return r;
}

std::string ServiceRequestJson(const ServiceRequest& r) {
  std::string out = "{\"route\":" + text::JsonQuoted(r.route) + ",\"field\":" + text::JsonQuoted(r.field);
  if (!r.topic.empty()) out += ",\"topic\":" + text::JsonQuoted(r.topic);
  out += ",\"purpose\":{\"ticket\":" + text::JsonQuoted(r.ticket) + ",\"reason\":" + text::JsonQuoted(r.reason) + "}";
  if (r.key_version) out += ",\"key_version\":" + std::to_string(*r.key_version);
  if (!r.keys_header.empty()) out += ",\"keys_header\":" + text::JsonQuoted(r.keys_header);
  if (r.json) out += ",\"json\":true";
  out += ",\"values\":[";
  for (size_t i = 0; i < r.values.size(); ++i) {
    if (i) out.push_back(',');
    text::AppendJsonQuoted(r.values[i], &out);
  }
  out += "]}";
  return out;
}

std::string ServiceResponseJson(const std::vector<std::optional<std::string>>& values, size_t failed) {
  std::string out = "{\"values\":[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out.push_back(',');
    if (values[i])
      text::AppendJsonQuoted(*values[i], &out);
    else
      out += "null";
  }
  out += "],\"failed\":" + std::to_string(failed) + "}";
  return out;
}

Result<ServiceResponse> ParseServiceResponse(std::string_view body) {
  auto doc = Reader(body).Document();
  if (!doc.ok()) return Error(ErrorCode::kHttpBadResponse, "the reveal service answered something that is not JSON");
  auto* objp = std::get_if<std::shared_ptr<JObject>>(&doc->v);
  if (!objp) return Error(ErrorCode::kHttpBadResponse, "the reveal service answered a JSON that is not an object");
  ServiceResponse out;
  for (const auto& [name, v] : **objp) {
    if (name == "values") {
      auto* a = std::get_if<std::shared_ptr<JArray>>(&v.v);
      if (!a) return Error(ErrorCode::kHttpBadResponse, "'values' is not an array");
      for (const auto& e : **a) {
        if (const std::string* s = AsString(e))
          out.values.emplace_back(*s);
        else if (std::holds_alternative<std::nullptr_t>(e.v))
          out.values.emplace_back(std::nullopt);
        else
          return Error(ErrorCode::kHttpBadResponse, "'values' holds something that is not a string or null");
      }
    } else if (name == "failed") {
      const JNumber* n = std::get_if<JNumber>(&v.v);
      if (!n || n->text.find_first_not_of("0123456789") != std::string::npos || n->text.size() > 9)
        return Error(ErrorCode::kHttpBadResponse, "'failed' is not a count");
      out.failed = std::stoul(n->text);
    } else if (name == "error" || name == "message") {
      const std::string* s = AsString(v);
      if (s) (name == "error" ? out.error : out.message) = *s;
    }
  }
  return out;
}

}  // namespace maskproxy::reveal
