#include "transform/actions.h"

#include "codec/json.h"
#include "common/text.h"

namespace maskproxy::transform {
namespace {

// Length of the UTF-8 sequence at s[i]; input is already validated.
inline size_t CharLen(unsigned char c) {
  if (c < 0x80) return 1;
  if (c < 0xE0) return 2;
  if (c < 0xF0) return 3;
  return 4;
}

}  // namespace

// ---- tokenize ---------------------------------------------------------------

Result<std::unique_ptr<Action>> TokenizeAction::Create(ActionOptions& o, const ActionEnv& env) {
  auto key_name = o.TakeString("key", "", /*required=*/true);
  if (!key_name.ok()) return key_name.error();
  auto norm = o.TakeEnum("normalize", "none", {"none", "digits", "lower", "alnum"});
  if (!norm.ok()) return norm.error();
  auto domain = o.TakeString("domain", env.field_path);
  if (!domain.ok()) return domain.error();
  const crypto::Key* key = env.keys ? env.keys->Find(*key_name) : nullptr;
  if (!key) {
    std::string hint = env.keys ? text::Suggest(*key_name, env.keys->Names()) : "";
    return Error("key_missing", "[key] key '" + *key_name + "' is not in the keyring" +
                                    (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
  }
  auto tok = crypto::Tokenizer::Create(*key, "tokenize:" + *domain);
  if (!tok.ok()) return tok.error();
  Normalize n = *norm == "digits"  ? Normalize::kDigits
                : *norm == "lower" ? Normalize::kLower
                : *norm == "alnum" ? Normalize::kAlnum
                                   : Normalize::kNone;
  return std::unique_ptr<Action>(new TokenizeAction(std::move(tok).value(), n));
}

Status TokenizeAction::Apply(const ActionContext&, const codec::ScalarRef& v, std::string* out) const {
  std::string_view in = v.text;
  std::string norm;
  if (norm_ != Normalize::kNone) {
    norm.reserve(in.size());
    for (char ch : in) {
      auto c = static_cast<unsigned char>(ch);
      bool digit = c >= '0' && c <= '9';
      bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      switch (norm_) {
        case Normalize::kDigits:
          if (digit) norm.push_back(ch);
          break;
        case Normalize::kAlnum:
          if (digit || alpha) norm.push_back(static_cast<char>((c >= 'A' && c <= 'Z') ? c + 32 : c));
          break;
        case Normalize::kLower: norm.push_back(static_cast<char>((c >= 'A' && c <= 'Z') ? c + 32 : c)); break;
        case Normalize::kNone: break;
      }
    }
    if (norm_ == Normalize::kLower) {
      size_t b = norm.find_first_not_of(" \t\r\n");
      size_t e = norm.find_last_not_of(" \t\r\n");
      norm = b == std::string::npos ? std::string() : norm.substr(b, e - b + 1);
    }
    if (norm.empty() && !in.empty()) return Error("normalize_failed", "value has nothing left after normalization");
    in = norm;
  }
  out->push_back('"');
  Status s = tok_.Tokenize(in, out);
  out->push_back('"');
  return s;
}

// ---- mask -------------------------------------------------------------------

Result<std::unique_ptr<Action>> MaskAction::Create(ActionOptions& o, const ActionEnv&) {
  std::unique_ptr<MaskAction> a(new MaskAction());
  auto first = o.TakeInt("keep_first", 0, 0, 64);
  if (!first.ok()) return first.error();
  auto last = o.TakeInt("keep_last", 0, 0, 64);
  if (!last.ok()) return last.error();
  auto ch = o.TakeString("mask_char", "*");
  if (!ch.ok()) return ch.error();
  if (ch->empty() || !codec::IsValidUtf8(*ch) || CharLen(static_cast<unsigned char>((*ch)[0])) != ch->size() ||
      *ch == "\"" || *ch == "\\" || static_cast<unsigned char>((*ch)[0]) < 0x20)
    return Error("invalid_option", "[mask_char] option 'mask_char' must be one printable character");
  auto seps = o.TakeString("separators", " -./()+:_@");
  if (!seps.ok()) return seps.error();
  for (char c : *seps)
    if (static_cast<unsigned char>(c) >= 0x80 || static_cast<unsigned char>(c) < 0x20)
      return Error("invalid_option", "[separators] option 'separators' must be printable ASCII characters");
  a->keep_first_ = static_cast<size_t>(*first);
  a->keep_last_ = static_cast<size_t>(*last);
  a->mask_char_ = *ch;
  a->separators_ = *seps;
  return std::unique_ptr<Action>(std::move(a));
}

Status MaskAction::Apply(const ActionContext&, const codec::ScalarRef& v, std::string* out) const {
  std::string_view in = v.text;
  auto is_sep = [&](unsigned char c) {
    return c < 0x80 && separators_.find(static_cast<char>(c)) != std::string::npos;
  };
  size_t total = 0;  // maskable characters
  for (size_t i = 0; i < in.size(); i += CharLen(static_cast<unsigned char>(in[i])))
    if (!is_sep(static_cast<unsigned char>(in[i]))) ++total;
  const bool show = keep_first_ + keep_last_ < total;
  std::string masked;
  masked.reserve(in.size() + total * mask_char_.size());
  size_t idx = 0;
  for (size_t i = 0; i < in.size();) {
    auto c = static_cast<unsigned char>(in[i]);
    size_t len = CharLen(c);
    if (is_sep(c)) {
      masked.push_back(static_cast<char>(c));
    } else {
      if (show && (idx < keep_first_ || idx >= total - keep_last_))
        masked.append(in.substr(i, len));
      else
        masked.append(mask_char_);
      ++idx;
    }
    i += len;
  }
  codec::AppendJsonString(masked, out);
  return Status::Ok();
}

// ---- redact -----------------------------------------------------------------

Result<std::unique_ptr<Action>> RedactAction::Create(ActionOptions& o, const ActionEnv&) {
  std::unique_ptr<RedactAction> a(new RedactAction());
  auto mode = o.TakeEnum("mode", "remove", {"remove", "null", "constant"});
  if (!mode.ok()) return mode.error();
  bool has_value = o.Has("value");
  auto value = o.TakeString("value", "");
  if (!value.ok()) return value.error();
  if (*mode == "constant") {
    if (!has_value) return Error("invalid_option", "[mode] mode 'constant' needs option 'value'");
    if (!codec::IsValidUtf8(*value)) return Error("invalid_option", "[value] option 'value' must be valid UTF-8");
    codec::AppendJsonString(*value, &a->replacement_);
  } else {
    if (has_value) return Error("invalid_option", "[value] option 'value' is only used with mode: constant");
    a->remove_ = *mode == "remove";
    a->replacement_ = "null";
  }
  return std::unique_ptr<Action>(std::move(a));
}

Status RedactAction::Apply(const ActionContext&, const codec::ScalarRef&, std::string* out) const {
  out->append(replacement_);
  return Status::Ok();
}

// ---- registry ---------------------------------------------------------------

namespace {
using Factory = Result<std::unique_ptr<Action>> (*)(ActionOptions&, const ActionEnv&);
struct Entry {
  const char* name;
  Factory create;
};
constexpr Entry kActions[] = {
    {"tokenize", &TokenizeAction::Create},
    {"mask", &MaskAction::Create},
    {"redact", &RedactAction::Create},
};
}  // namespace

std::vector<std::string> ActionNames() {
  std::vector<std::string> out;
  for (const auto& e : kActions) out.emplace_back(e.name);
  return out;
}

Result<std::unique_ptr<Action>> CreateAction(std::string_view name, ActionOptions& options, const ActionEnv& env) {
  for (const auto& e : kActions) {
    if (name != e.name) continue;
    auto action = e.create(options, env);
    if (!action.ok()) return action;
    auto unknown = options.Untaken();
    if (!unknown.empty()) {
      std::string hint = text::Suggest(unknown.front(), options.Taken());
      return Error("invalid_option", "[" + unknown.front() + "] unknown option '" + unknown.front() + "' for action " +
                                         std::string(name) + " (expected: path, action, " +
                                         text::Join(options.Taken()) +
                                         (hint.empty() ? ")" : "; did you mean '" + hint + "'?)"));
    }
    return action;
  }
  std::string hint = text::Suggest(name, ActionNames());
  return Error("unknown_action", "unknown action '" + std::string(name) +
                                     "' (expected one of: " + text::Join(ActionNames()) +
                                     (hint.empty() ? ")" : "; did you mean '" + hint + "'?)"));
}

}  // namespace maskproxy::transform
