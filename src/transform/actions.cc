#include "transform/actions.h"

#include <algorithm>
#include <vector>

#include "codec/json.h"
#include "common/number.h"
#include "common/text.h"
#include "crypto/base64.h"
#include "crypto/keyring.h"
#include "crypto/mac.h"
#include "detect/phone.h"
#include "transform/scan.h"

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
  auto norm = o.TakeEnum("normalize", "none", {"none", "digits", "lower", "alnum", "phone_kr"});
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
  Normalize n = *norm == "digits"     ? Normalize::kDigits
                : *norm == "lower"    ? Normalize::kLower
                : *norm == "alnum"    ? Normalize::kAlnum
                : *norm == "phone_kr" ? Normalize::kPhoneKr
                                      : Normalize::kNone;
  return std::unique_ptr<Action>(new TokenizeAction(std::move(tok).value(), n));
}

Status TokenizeAction::Apply(const ActionContext&, const codec::ScalarRef& v, std::string* out) const {
  std::string_view in = v.text;
  if (norm_ == Normalize::kPhoneKr && !in.empty()) {
    // Every written form of one Korean phone number gives one token.
    thread_local std::string phone;
    if (!detect::CanonicalPhoneKrInto(in, &phone)) {
      return Error("normalize_failed", "value is not a Korean phone number");
    }
    in = phone;
  } else if (norm_ != Normalize::kNone && norm_ != Normalize::kPhoneKr) {
    // Normalized into a reused per-thread buffer: no allocation per value.
    thread_local std::string norm;
    norm.resize(in.size());
    size_t n = 0;
    for (size_t i = 0; i < in.size(); ++i) {
      char ch = in[i];
      auto c = static_cast<unsigned char>(ch);
      if (norm_ == Normalize::kDigits && c == 0xEF && i + 2 < in.size() && in[i + 1] == '\xBC' &&
          static_cast<unsigned char>(in[i + 2]) >= 0x90 && static_cast<unsigned char>(in[i + 2]) <= 0x99) {
        // A full-width digit U+FF10-FF19 (EF BC 90-99) is its ASCII digit.
        norm[n++] = static_cast<char>('0' + (static_cast<unsigned char>(in[i + 2]) - 0x90));
        i += 2;
        continue;
      }
      bool digit = c >= '0' && c <= '9';
      bool upper = c >= 'A' && c <= 'Z';
      bool alpha = upper || (c >= 'a' && c <= 'z');
      char lower = static_cast<char>(upper ? c + 32 : c);
      switch (norm_) {
        case Normalize::kDigits:
          if (digit) norm[n++] = ch;
          break;
        case Normalize::kAlnum:
          if (digit || alpha) norm[n++] = lower;
          break;
        case Normalize::kLower: norm[n++] = lower; break;
        case Normalize::kNone:
        case Normalize::kPhoneKr: break;
      }
    }
    std::string_view nv(norm.data(), n);
    if (norm_ == Normalize::kLower) {
      size_t b = nv.find_first_not_of(" \t\r\n");
      size_t e = nv.find_last_not_of(" \t\r\n");
      nv = b == std::string_view::npos ? std::string_view() : nv.substr(b, e - b + 1);
    }
    if (nv.empty() && !in.empty()) return Error("normalize_failed", "value has nothing left after normalization");
    in = nv;
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
  for (char c : *seps) {
    if (static_cast<unsigned char>(c) >= 0x80 || static_cast<unsigned char>(c) < 0x20)
      return Error("invalid_option", "[separators] option 'separators' must be printable ASCII characters");
    a->separator_[static_cast<unsigned char>(c)] = true;
  }
  a->keep_first_ = static_cast<size_t>(*first);
  a->keep_last_ = static_cast<size_t>(*last);
  a->mask_char_ = *ch;
  return std::unique_ptr<Action>(std::move(a));
}

Status MaskAction::Apply(const ActionContext&, const codec::ScalarRef& v, std::string* out) const {
  std::string_view in = v.text;
  auto is_sep = [&](unsigned char c) { return c < 0x80 && separator_[c]; };
  size_t total = 0;  // maskable characters
  for (size_t i = 0; i < in.size(); i += CharLen(static_cast<unsigned char>(in[i])))
    if (!is_sep(static_cast<unsigned char>(in[i]))) ++total;
  const bool show = keep_first_ + keep_last_ < total;
  thread_local std::string masked;  // reused per thread: no allocation per value
  masked.clear();
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

// ---- shared helpers for the reversible actions ------------------------------

namespace {

Result<const crypto::Key*> FindKey(ActionOptions& o, const ActionEnv& env, std::string* name) {
  auto key_name = o.TakeString("key", "", /*required=*/true);
  if (!key_name.ok()) return key_name.error();
  const crypto::Key* key = env.keys ? env.keys->Find(*key_name) : nullptr;
  if (!key) {
    std::string hint = env.keys ? text::Suggest(*key_name, env.keys->Names()) : "";
    return Error("key_missing", "[key] key '" + *key_name + "' is not in the keyring" +
                                    (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
  }
  *name = *key_name;
  return key;
}

// LP(x) = 4-byte big-endian length || x: an unambiguous concatenation.
void AppendLp(std::string_view s, std::string* out) {
  const auto n = static_cast<uint32_t>(s.size());
  out->push_back(static_cast<char>(n >> 24));
  out->push_back(static_cast<char>(n >> 16));
  out->push_back(static_cast<char>(n >> 8));
  out->push_back(static_cast<char>(n));
  out->append(s);
}

// Type tag + value text: what the reversible actions encrypt.
Status TaggedPlaintext(const codec::ScalarRef& v, std::string* pt) {
  switch (v.type) {
    case codec::JsonType::kString: pt->push_back('s'); break;
    case codec::JsonType::kNumber: pt->push_back('n'); break;
    case codec::JsonType::kBool: pt->push_back('b'); break;
    // A whole object or array (apply_to: whole): its exact JSON bytes.
    case codec::JsonType::kObject:
    case codec::JsonType::kArray: pt->push_back('j'); break;
    default: return Error("unsupported_type", "this action takes strings, numbers, booleans and whole values");
  }
  pt->append(v.type == codec::JsonType::kString ? v.text : v.raw);
  return Status::Ok();
}

// The inverse: JSON text of a tagged plaintext (checked, though authenticated).
Result<std::string> UntagToJson(std::string_view pt) {
  if (pt.empty()) return Error("invalid_ciphertext", "plaintext has no type tag");
  std::string_view body = pt.substr(1);
  std::string out;
  switch (pt[0]) {
    case 's':
      if (!codec::IsValidUtf8(body)) break;
      codec::AppendJsonString(body, &out);
      return out;
    case 'n':
      if (!number::IsJsonNumber(body)) break;
      return std::string(body);
    case 'b':
      if (body != "true" && body != "false") break;
      return std::string(body);
    case 'j':
      if (body.empty() || (body[0] != '{' && body[0] != '[') || !codec::ValidateJson(body, {}).ok()) break;
      return std::string(body);
    default: break;
  }
  return Error("invalid_ciphertext", "plaintext has an unknown type tag or a malformed value");
}

// "<fmt>.<key>.<version>.<payload>" as a JSON string.
struct SelfDescribing {
  std::string_view key_name;
  uint32_t version = 0;
  std::string_view payload;
};

Result<SelfDescribing> ParseSelfDescribing(std::string_view json, std::string_view fmt, std::string* storage) {
  auto bad = [&] {
    return Error("invalid_ciphertext", "not a " + std::string(fmt) + ".<key>.<version>.<data> string");
  };
  if (!codec::DecodeJsonString(json, storage)) return bad();
  std::string_view s = *storage;
  if (s.size() < fmt.size() + 1 || s.substr(0, fmt.size()) != fmt || s[fmt.size()] != '.') return bad();
  s.remove_prefix(fmt.size() + 1);
  size_t dot1 = s.find('.');
  if (dot1 == std::string_view::npos) return bad();
  size_t dot2 = s.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos) return bad();
  SelfDescribing d;
  d.key_name = s.substr(0, dot1);
  std::string_view ver = s.substr(dot1 + 1, dot2 - dot1 - 1);
  d.payload = s.substr(dot2 + 1);
  if (!crypto::IsValidKeyName(d.key_name) || ver.empty() || (ver[0] == '0') || ver.size() > 10) return bad();
  uint64_t v = 0;
  for (char c : ver) {
    if (c < '0' || c > '9') return bad();
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v > UINT32_MAX) return bad();
  d.version = static_cast<uint32_t>(v);
  return d;
}

Status CheckKey(const SelfDescribing& d, const std::string& key_name) {
  if (d.key_name != key_name)
    return Error("key_mismatch",
                 "output was made with key '" + std::string(d.key_name) + "', this rule uses '" + key_name + "'");
  return Status::Ok();
}

Error UnknownVersion(const std::string& key_name, uint32_t version) {
  return Error("key_version_unknown",
               "key '" + key_name + "' has no version " + std::to_string(version) + " in the keyring");
}

}  // namespace

// ---- keep -------------------------------------------------------------------

Result<std::unique_ptr<Action>> KeepAction::Create(ActionOptions&, const ActionEnv&) {
  return std::unique_ptr<Action>(new KeepAction());
}

Status KeepAction::Apply(const ActionContext&, const codec::ScalarRef& v, std::string* out) const {
  out->append(v.raw);
  return Status::Ok();
}

// ---- encrypt ----------------------------------------------------------------

Result<std::unique_ptr<Action>> EncryptAction::Create(ActionOptions& o, const ActionEnv& env) {
  std::unique_ptr<EncryptAction> a(new EncryptAction());
  auto key = FindKey(o, env, &a->key_name_);
  if (!key.ok()) return key.error();
  for (const auto& [version, material] : (*key)->versions) {
    auto sub = crypto::HkdfSha256(material, "maskproxy/encrypt/v1", "encrypt", crypto::AesGcm256::kKeyBytes);
    if (!sub.ok()) return sub.error();
    auto aead = crypto::AesGcm256::Create(*sub);
    if (!aead.ok()) return aead.error();
    a->aeads_.emplace(version, std::move(aead).value());
  }
  a->active_ = (*key)->active;
  a->field_ = env.field_path;
  a->ledger_ = env.ledger ? env.ledger : &crypto::UsageLedger::ProcessDefault();
  a->slot_ = a->ledger_->Handle(a->key_name_, a->active_);
  a->active_aead_ = &a->aeads_.at(a->active_);
  AppendLp(std::to_string(a->active_), &a->active_lp_);
  a->prefix_ = "\"e1." + a->key_name_ + "." + std::to_string(a->active_) + ".";
  return std::unique_ptr<Action>(std::move(a));
}

std::string EncryptAction::Aad(std::string_view topic, uint32_t version) const {
  std::string aad;
  aad.reserve(32 + topic.size() + field_.size() + key_name_.size());
  AppendLp("e1", &aad);
  AppendLp(topic, &aad);
  AppendLp(field_, &aad);
  AppendLp(key_name_, &aad);
  AppendLp(std::to_string(version), &aad);
  return aad;
}

// Per-thread scratch for the reversible actions: no allocation per value
// once warm. (The plaintext is a copy of record bytes that are in memory
// anyway; key material never passes through here.)
namespace {
struct Scratch {
  std::string pt, sealed, aad;
  void Wipe() {
    pt.clear();
    sealed.clear();
  }
};
}  // namespace

Status EncryptAction::Apply(const ActionContext& ctx, const codec::ScalarRef& v, std::string* out) const {
  thread_local Scratch sc;
  sc.pt.clear();
  sc.sealed.clear();
  Status st = TaggedPlaintext(v, &sc.pt);
  if (st.ok()) st = ledger_->Reserve(slot_);
  if (st.ok()) {
    sc.aad.clear();
    AppendLp("e1", &sc.aad);
    AppendLp(ctx.topic, &sc.aad);
    AppendLp(field_, &sc.aad);
    AppendLp(key_name_, &sc.aad);
    sc.aad.append(active_lp_);
    st = active_aead_->Seal(sc.aad, sc.pt, &sc.sealed);
  }
  std::string& sealed = sc.sealed;
  if (!st.ok()) {
    sc.Wipe();
    return st;
  }
  out->append(prefix_);
  crypto::Base64UrlEncode(reinterpret_cast<const uint8_t*>(sealed.data()), sealed.size(), out);
  out->push_back('"');
  sc.Wipe();
  return Status::Ok();
}

std::string EncryptAction::KeyRef() const {
  return key_name_ + ":" + std::to_string(active_);
}

Result<std::string> EncryptAction::Reveal(const ActionContext& ctx, std::string_view json,
                                          std::optional<uint32_t>) const {
  std::string storage;
  auto d = ParseSelfDescribing(json, "e1", &storage);
  if (!d.ok()) return d.error();
  if (Status s = CheckKey(*d, key_name_); !s.ok()) return s.error();
  auto it = aeads_.find(d->version);
  if (it == aeads_.end()) return UnknownVersion(key_name_, d->version);
  auto sealed = crypto::Base64UrlDecode(d->payload);
  if (!sealed) return Error("auth_failed", "ciphertext is not valid base64url");
  std::string pt;
  Status s = it->second.Open(Aad(ctx.topic, d->version),
                             std::string_view(reinterpret_cast<const char*>(sealed->data()), sealed->size()), &pt);
  if (!s.ok()) return Error("auth_failed", "ciphertext does not authenticate for this topic, field and key");
  return UntagToJson(pt);
}

// ---- encrypt_deterministic -----------------------------------------------------

Result<std::unique_ptr<Action>> EncryptDeterministicAction::Create(ActionOptions& o, const ActionEnv& env) {
  std::unique_ptr<EncryptDeterministicAction> a(new EncryptDeterministicAction());
  auto key = FindKey(o, env, &a->key_name_);
  if (!key.ok()) return key.error();
  auto domain = o.TakeString("domain", env.field_path);
  if (!domain.ok()) return domain.error();
  for (const auto& [version, material] : (*key)->versions) {
    auto sub = crypto::HkdfSha256(material, "maskproxy/encrypt/v1", "encrypt_deterministic", 64);
    if (!sub.ok()) return sub.error();
    auto siv = crypto::AesSiv::Create(*sub);
    if (!siv.ok()) return siv.error();
    a->sivs_.emplace(version, std::move(siv).value());
  }
  a->active_ = (*key)->active;
  a->domain_ = *domain;
  a->active_siv_ = &a->sivs_.at(a->active_);
  a->active_aad_ = a->Aad(a->active_);
  a->prefix_ = "\"d1." + a->key_name_ + "." + std::to_string(a->active_) + ".";
  return std::unique_ptr<Action>(std::move(a));
}

std::string EncryptDeterministicAction::Aad(uint32_t version) const {
  std::string aad;
  AppendLp("d1", &aad);
  AppendLp(domain_, &aad);
  AppendLp(key_name_, &aad);
  AppendLp(std::to_string(version), &aad);
  return aad;
}

Status EncryptDeterministicAction::Apply(const ActionContext&, const codec::ScalarRef& v, std::string* out) const {
  thread_local Scratch sc;
  sc.pt.clear();
  sc.sealed.clear();
  Status st = TaggedPlaintext(v, &sc.pt);
  if (st.ok()) st = active_siv_->Seal(std::string_view(active_aad_), sc.pt, &sc.sealed);
  if (st.ok()) {
    out->append(prefix_);
    crypto::Base64UrlEncode(reinterpret_cast<const uint8_t*>(sc.sealed.data()), sc.sealed.size(), out);
    out->push_back('"');
  }
  sc.Wipe();
  return st;
}

std::string EncryptDeterministicAction::KeyRef() const {
  return key_name_ + ":" + std::to_string(active_);
}

Result<std::string> EncryptDeterministicAction::Reveal(const ActionContext&, std::string_view json,
                                                       std::optional<uint32_t>) const {
  std::string storage;
  auto d = ParseSelfDescribing(json, "d1", &storage);
  if (!d.ok()) return d.error();
  if (Status s = CheckKey(*d, key_name_); !s.ok()) return s.error();
  auto it = sivs_.find(d->version);
  if (it == sivs_.end()) return UnknownVersion(key_name_, d->version);
  auto sealed = crypto::Base64UrlDecode(d->payload);
  if (!sealed) return Error("auth_failed", "ciphertext is not valid base64url");
  std::string pt;
  Status s = it->second.Open(std::string_view(Aad(d->version)),
                             std::string_view(reinterpret_cast<const char*>(sealed->data()), sealed->size()), &pt);
  if (!s.ok()) return Error("auth_failed", "ciphertext does not authenticate for this domain and key");
  return UntagToJson(pt);
}

// ---- fpe --------------------------------------------------------------------

namespace {

constexpr char kDigits[] = "0123456789";
constexpr char kUpper[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
constexpr char kLower[] = "abcdefghijklmnopqrstuvwxyz";

// radix^len, saturated at `cap`.
uint64_t DomainSize(size_t radix, int64_t len, uint64_t cap) {
  uint64_t v = 1;
  for (int64_t i = 0; i < len && v < cap; ++i) v *= radix;
  return v < cap ? v : cap;
}

// How many values the encrypted part of `len` characters can take, saturated
// at FF1's minimum domain. Under the class walk (digits alphabet, nothing kept
// in front) a value is encrypted within its class: the first encrypted digit
// is 0 (10^(len-1) values) or not (9 * 10^(len-1) values, the only class a
// JSON number has). For radix 10 both classes reach 1,000,000 at len 7.
uint64_t EncryptedDomain(size_t radix, int64_t len, bool class_walk, bool zero_class) {
  constexpr uint64_t kCap = crypto::Ff1::kMinDomainSize;
  if (len <= 0) return 1;
  if (!class_walk) return DomainSize(radix, len, kCap);
  const uint64_t rest = DomainSize(10, len - 1, kCap);
  return zero_class ? rest : std::min<uint64_t>(kCap, 9 * rest);
}

// Cycle walking bound (the 1-9 class): each FF1 output stays in the class
// with probability 9/10, so 1000 rounds fail with probability 10^-1000: never
// with a sound cipher. Reaching it is an operational error ("fpe_failed"),
// not a property of the value.
constexpr int kMaxCycleWalk = 1000;

Error DomainTooSmall() {
  return Error("domain_too_small", "the encrypted part of the value has under 1,000,000 possible values");
}

}  // namespace

Result<std::unique_ptr<Action>> FpeAction::Create(ActionOptions& o, const ActionEnv& env) {
  std::unique_ptr<FpeAction> a(new FpeAction());
  auto key = FindKey(o, env, &a->key_name_);
  if (!key.ok()) return key.error();
  auto domain = o.TakeString("domain", env.field_path);
  if (!domain.ok()) return domain.error();
  auto alpha = o.TakeEnum("alphabet", "digits", {"digits", "alnum", "upper_alnum", "lower_alnum", "custom"});
  if (!alpha.ok()) return alpha.error();
  const bool has_chars = o.Has("chars");
  auto chars = o.TakeString("chars", "");
  if (!chars.ok()) return chars.error();
  if (*alpha == "custom") {
    if (!has_chars) return Error("invalid_option", "[alphabet] alphabet 'custom' needs option 'chars'");
    if (chars->size() < 2 || chars->size() > 128)
      return Error("invalid_option", "[chars] option 'chars' must have 2 to 128 characters");
    for (size_t i = 0; i < chars->size(); ++i) {
      auto c = static_cast<unsigned char>((*chars)[i]);
      if (c < 0x20 || c > 0x7E)
        return Error("invalid_option", "[chars] option 'chars' must be printable ASCII characters");
      if (chars->find(static_cast<char>(c)) != i)
        return Error("invalid_option", "[chars] option 'chars' has a repeated character");
    }
    a->alphabet_ = *chars;
  } else {
    if (has_chars) return Error("invalid_option", "[chars] option 'chars' is only used with alphabet: custom");
    a->alphabet_ = *alpha == "digits"        ? std::string(kDigits)
                   : *alpha == "alnum"       ? std::string(kDigits) + kUpper + kLower
                   : *alpha == "upper_alnum" ? std::string(kDigits) + kUpper
                                             : std::string(kDigits) + kLower;
  }
  a->digits_ = a->alphabet_ == kDigits;
  a->index_.fill(-1);
  for (size_t i = 0; i < a->alphabet_.size(); ++i)
    a->index_[static_cast<unsigned char>(a->alphabet_[i])] = static_cast<int16_t>(i);

  auto seps = o.TakeString("separators", " -./()+:_");
  if (!seps.ok()) return seps.error();
  for (char c : *seps) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x80 || u < 0x20)
      return Error("invalid_option", "[separators] option 'separators' must be printable ASCII characters");
    if (a->index_[u] < 0) a->separator_[u] = true;  // alphabet characters are never separators
  }

  auto prefix = o.TakeInt("keep_prefix", 0, 0, 64);
  if (!prefix.ok()) return prefix.error();
  auto suffix = o.TakeInt("keep_suffix", 0, 0, 64);
  if (!suffix.ok()) return suffix.error();
  const bool has_min = o.Has("min_length");
  auto min_len = o.TakeInt("min_length", 0, 1, static_cast<int64_t>(crypto::Ff1::kMaxLength));
  if (!min_len.ok()) return min_len.error();
  a->keep_prefix_ = static_cast<size_t>(*prefix);
  a->keep_suffix_ = static_cast<size_t>(*suffix);
  const uint64_t radix = a->alphabet_.size();
  if (has_min) {
    // The shortest value's smaller class: with the class walk, strings whose
    // first encrypted digit is 0 (10^(n-1)); JSON numbers have 9 * 10^(n-1).
    const int64_t encrypted = *min_len - *prefix - *suffix;
    const uint64_t n = EncryptedDomain(radix, encrypted, a->ClassWalk(), /*zero_class=*/true);
    if (n < crypto::Ff1::kMinDomainSize)
      return Error("invalid_option",
                   "[min_length] unsafe: FPE domain of " + std::to_string(n) + " values is under 1,000,000 (radix " +
                       std::to_string(radix) + ", " + std::to_string(encrypted < 0 ? 0 : encrypted) +
                       " encrypted characters at min_length " + std::to_string(*min_len) +
                       (a->ClassWalk() ? "; the first encrypted digit keeps its class (0 or not), so a class has "
                                         "10^(n-1) values"
                                       : "") +
                       "); raise min_length or keep fewer characters");
    a->min_length_ = static_cast<size_t>(*min_len);
  }

  const std::string info = "fpe:" + *domain;
  for (const auto& [version, material] : (*key)->versions) {
    auto sub = crypto::HkdfSha256(material, "maskproxy/fpe/v1", info, 32);
    if (!sub.ok()) return sub.error();
    auto ff1 = crypto::Ff1::Create(*sub, static_cast<uint32_t>(radix));
    if (!ff1.ok()) return ff1.error();
    a->ffs_.emplace(version, std::move(ff1).value());
  }
  a->active_ = (*key)->active;
  a->active_ff_ = &a->ffs_.at(a->active_);
  a->domain_ = *domain;
  a->zero_tweak_ = "0|" + *domain;
  return std::unique_ptr<Action>(std::move(a));
}

Status FpeAction::Run(bool encrypt, const crypto::Ff1& ff1, bool number, std::string* text) const {
  thread_local std::vector<size_t> pos;  // reused per thread: no allocation per value
  thread_local std::vector<uint16_t> nums, mid;
  pos.clear();
  nums.clear();
  for (size_t i = 0; i < text->size(); ++i) {
    auto c = static_cast<unsigned char>((*text)[i]);
    // A number's sign is kept in the clear, not encrypted (negative stays
    // negative); keep_prefix/keep_suffix count digits, never the sign.
    if (number && i == 0 && c == '-') continue;
    if (c < 0x80 && index_[c] >= 0) {
      pos.push_back(i);
      nums.push_back(static_cast<uint16_t>(index_[c]));
    } else if (number || c >= 0x80 || !separator_[c]) {
      return Error("fpe_invalid_char", "value has a character that is neither in the alphabet nor a separator");
    }
  }
  const size_t n = nums.size();
  if (min_length_ != 0 && n < min_length_)
    return Error("value_too_short", "value has " + std::to_string(n) + " alphabet characters, fewer than min_length " +
                                        std::to_string(min_length_));
  if (keep_prefix_ + keep_suffix_ >= n) return DomainTooSmall();
  mid.assign(nums.begin() + static_cast<ptrdiff_t>(keep_prefix_), nums.end() - static_cast<ptrdiff_t>(keep_suffix_));
  // The class walk (see ClassWalk() and actions.h): each class of the first
  // encrypted digit is permuted onto itself, so a number never gets a
  // leading zero and a string and a number with the same digits get the same
  // digits. 1-9: FF1 on all digits, again until the first digit is not 0
  // (cycle walking; decryption walks the same way over FF1.Decrypt). 0: the
  // 0 stays and FF1 under the tweak zero_tweak_ encrypts the other digits
  // (one call instead of about ten rounds of walking).
  const bool walk = ClassWalk();
  const bool zero_class = walk && mid[0] == 0;
  if (EncryptedDomain(alphabet_.size(), static_cast<int64_t>(mid.size()), walk, zero_class) <
      crypto::Ff1::kMinDomainSize)
    return DomainTooSmall();
  if (zero_class) {
    thread_local std::vector<uint16_t> rest;
    rest.assign(mid.begin() + 1, mid.end());
    Status s = encrypt ? ff1.Encrypt(zero_tweak_, rest, &rest) : ff1.Decrypt(zero_tweak_, rest, &rest);
    if (!s.ok()) return s;
    std::copy(rest.begin(), rest.end(), mid.begin() + 1);
  } else {
    for (int round = 0;; ++round) {
      if (round == kMaxCycleWalk) return Error("fpe_failed", "cycle walking did not end");
      Status s = encrypt ? ff1.Encrypt(domain_, mid, &mid) : ff1.Decrypt(domain_, mid, &mid);
      if (!s.ok()) return s;
      if (!walk || mid[0] != 0) break;
    }
  }
  for (size_t k = 0; k < mid.size(); ++k) (*text)[pos[keep_prefix_ + k]] = alphabet_[mid[k]];
  return Status::Ok();
}

Status FpeAction::Apply(const ActionContext&, const codec::ScalarRef& v, std::string* out) const {
  const bool number = v.type == codec::JsonType::kNumber;
  if (number) {
    if (!digits_) return Error("unsupported_type", "fpe on a JSON number needs alphabet: digits");
    if (!maskproxy::number::IsJsonInteger(v.raw))
      return Error("fpe_not_integer", "fpe takes only integer JSON numbers");
  } else if (v.type != codec::JsonType::kString) {
    return Error("unsupported_type", "fpe takes strings and integer numbers");
  }
  if (!number && v.text.empty()) {  // nothing to encrypt; "" reveals as ""
    out->append("\"\"");
    return Status::Ok();
  }
  thread_local std::string text;
  text.assign(number ? v.raw : v.text);
  if (Status s = Run(true, *active_ff_, number, &text); !s.ok()) return s;
  if (number)
    out->append(text);
  else
    codec::AppendJsonString(text, out);
  return Status::Ok();
}

std::string FpeAction::KeyRef() const {
  return key_name_ + ":" + std::to_string(active_);
}

Result<std::string> FpeAction::Reveal(const ActionContext&, std::string_view json,
                                      std::optional<uint32_t> key_version) const {
  const uint32_t version = key_version.value_or(active_);
  auto it = ffs_.find(version);
  if (it == ffs_.end()) return UnknownVersion(key_name_, version);
  std::string text;
  const bool number = !json.empty() && json[0] != '"';
  if (number) {
    if (!digits_ || !maskproxy::number::IsJsonInteger(json))
      return Error("invalid_ciphertext", "not an fpe output of this rule");
    text = std::string(json);
  } else if (!codec::DecodeJsonString(json, &text)) {
    return Error("invalid_ciphertext", "not a JSON string or integer");
  }
  if (!number && text.empty()) return std::string("\"\"");
  Status s = Run(false, it->second, number, &text);
  if (!s.ok()) {
    if (s.error().code == "fpe_invalid_char") return Error("invalid_ciphertext", "not an fpe output of this rule");
    return s.error();
  }
  if (number) return text;
  std::string out;
  codec::AppendJsonString(text, &out);
  return out;
}

// ---- generalize ---------------------------------------------------------------

namespace {

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

bool ValidYmd(int y, int m, int d) {
  return y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= DaysInMonth(y, m);
}

// ISO 8601 time of day after the date: [T ]HH:MM[:SS[.f]][zone] or basic
// HHMM[SS[.f]][zone]; zone Z | ±HH[:MM] | ±HHMM.
bool ValidTimeSuffix(std::string_view s) {
  if (s.empty()) return true;
  if (s[0] != 'T' && s[0] != 't' && s[0] != ' ') return false;
  size_t i = 1;
  int hh = 0, mm = 0, ss = 0;
  if (!Digits(s, i, 2, &hh) || hh > 23) return false;
  i += 2;
  const bool extended = i < s.size() && s[i] == ':';
  if (extended) ++i;
  if (!Digits(s, i, 2, &mm) || mm > 59) return false;
  i += 2;
  if (i < s.size() && (extended ? s[i] == ':' : (s[i] >= '0' && s[i] <= '9'))) {
    if (extended) ++i;
    if (!Digits(s, i, 2, &ss) || ss > 60) return false;
    i += 2;
    if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
      ++i;
      size_t start = i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
      if (i == start) return false;
    }
  }
  if (i == s.size()) return true;
  if (s[i] == 'Z' || s[i] == 'z') return i + 1 == s.size();
  if (s[i] != '+' && s[i] != '-') return false;
  ++i;
  int zh = 0, zm = 0;
  if (!Digits(s, i, 2, &zh) || zh > 23) return false;
  i += 2;
  if (i == s.size()) return true;
  if (s[i] == ':') ++i;
  if (!Digits(s, i, 2, &zm) || zm > 59) return false;
  return i + 2 == s.size();
}

bool ParseDate(std::string_view s, int* y, int* m, int* d) {
  std::string_view rest;
  if (s.size() >= 10 && (s[4] == '-' || s[4] == '/' || s[4] == '.') && s[7] == s[4]) {
    if (!Digits(s, 0, 4, y) || !Digits(s, 5, 2, m) || !Digits(s, 8, 2, d)) return false;
    rest = s.substr(10);
  } else {
    if (!Digits(s, 0, 4, y) || !Digits(s, 4, 2, m) || !Digits(s, 6, 2, d)) return false;
    rest = s.substr(8);
  }
  return ValidYmd(*y, *m, *d) && ValidTimeSuffix(rest);
}

std::string Pad(int v, int width) {
  std::string t = std::to_string(v);
  return t.size() >= static_cast<size_t>(width) ? t : std::string(static_cast<size_t>(width) - t.size(), '0') + t;
}

using u128 = unsigned __int128;
using i128 = __int128;
constexpr int kMaxDigits = 36;  // 10^36 < 2^127

// A decimal at a fixed scale: value = sign * mag * 10^-scale, plus whether
// non-zero digits beyond the scale were cut off. No doubles anywhere.
struct Scaled {
  bool negative = false;
  u128 mag = 0;
  bool truncated = false;
};

// Parses a JSON-like number (leading zeros allowed, exponent allowed) at
// `scale` decimal places. False on bad syntax or if it does not fit.
bool ParseScaled(std::string_view s, int scale, Scaled* out) {
  *out = Scaled();
  size_t i = 0;
  if (i < s.size() && s[i] == '-') {
    out->negative = true;
    ++i;
  }
  std::string digs;
  int64_t point = 0;
  size_t start = i;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') digs.push_back(s[i++]);
  if (i == start) return false;
  point = static_cast<int64_t>(digs.size());
  if (i < s.size() && s[i] == '.') {
    ++i;
    size_t fstart = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') digs.push_back(s[i++]);
    if (i == fstart) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool eneg = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
    size_t estart = i;
    int64_t e = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (e < 100000) e = e * 10 + (s[i] - '0');
      ++i;
    }
    if (i == estart) return false;
    point += eneg ? -e : e;
  }
  if (i != s.size()) return false;
  // Digit k of `digs` has weight 10^(point-1-k); keep weights >= 10^-scale.
  const int64_t keep = point + scale;  // number of leading digits kept
  int significant = 0;
  for (int64_t k = 0; k < static_cast<int64_t>(digs.size()); ++k) {
    int dv = digs[static_cast<size_t>(k)] - '0';
    if (k >= keep) {
      if (dv != 0) out->truncated = true;
      continue;
    }
    if (significant == 0 && dv == 0) continue;
    if (++significant > kMaxDigits) return false;
    out->mag = out->mag * 10 + static_cast<u128>(dv);
  }
  // Pad with zeros where the digits end before the scale.
  for (int64_t k = static_cast<int64_t>(digs.size()); k < keep; ++k) {
    if (out->mag == 0) continue;
    if (++significant > kMaxDigits) return false;
    out->mag *= 10;
  }
  if (out->mag == 0 && !out->truncated) out->negative = false;
  return true;
}

std::string FormatScaled(i128 v, int scale) {
  bool neg = v < 0;
  u128 mag = neg ? static_cast<u128>(-v) : static_cast<u128>(v);
  std::string digs;
  do {
    digs.push_back(static_cast<char>('0' + static_cast<int>(mag % 10)));
    mag /= 10;
  } while (mag != 0);
  while (static_cast<int>(digs.size()) <= scale) digs.push_back('0');
  std::string out = neg ? "-" : "";
  for (size_t k = digs.size(); k-- > 0;) {
    out.push_back(digs[k]);
    if (scale > 0 && k == static_cast<size_t>(scale)) out.push_back('.');
  }
  return out;
}

struct Province {
  const char* official;
  std::initializer_list<const char*> aliases;
};

const Province kProvinces[] = {
    {"서울특별시", {"서울", "서울시", "서울특별시"}},
    {"부산광역시", {"부산", "부산시", "부산광역시"}},
    {"대구광역시", {"대구", "대구시", "대구광역시"}},
    {"인천광역시", {"인천", "인천시", "인천광역시"}},
    {"광주광역시", {"광주", "광주시", "광주광역시"}},
    {"대전광역시", {"대전", "대전시", "대전광역시"}},
    {"울산광역시", {"울산", "울산시", "울산광역시"}},
    {"세종특별자치시", {"세종", "세종시", "세종특별자치시"}},
    {"경기도", {"경기", "경기도"}},
    {"강원특별자치도", {"강원", "강원도", "강원특별자치도"}},
    {"충청북도", {"충북", "충청북도"}},
    {"충청남도", {"충남", "충청남도"}},
    {"전북특별자치도", {"전북", "전라북도", "전북특별자치도"}},
    {"전라남도", {"전남", "전라남도"}},
    {"경상북도", {"경북", "경상북도"}},
    {"경상남도", {"경남", "경상남도"}},
    {"제주특별자치도", {"제주", "제주도", "제주특별자치도"}},
};

const char* FindProvince(std::string_view token) {
  for (const auto& p : kProvinces)
    for (const char* alias : p.aliases)
      if (token == alias) return p.official;
  return nullptr;
}

std::vector<std::string_view> SplitWords(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == ',')) ++i;
    size_t start = i;
    while (i < s.size() && !(s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' || s[i] == ',')) ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() > suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

Result<std::unique_ptr<Action>> GeneralizeAction::Create(ActionOptions& o, const ActionEnv&) {
  std::unique_ptr<GeneralizeAction> a(new GeneralizeAction());
  auto to = o.TakeEnum("to", "", {"year", "year_month", "bucket", "birth_decade_sex", "province", "district"});
  if (!to.ok()) {
    if (!o.Has("to")) return Error("invalid_option", "[] missing required option 'to'");
    return to.error();
  }
  a->to_ = *to == "year"               ? To::kYear
           : *to == "year_month"       ? To::kYearMonth
           : *to == "bucket"           ? To::kBucket
           : *to == "birth_decade_sex" ? To::kBirthDecadeSex
           : *to == "province"         ? To::kProvince
                                       : To::kDistrict;
  const bool has_size = o.Has("size");
  auto size = o.TakeString("size", "");
  if (!size.ok()) return size.error();
  if (a->to_ == To::kBucket) {
    if (!has_size) return Error("invalid_option", "[to] generalize to: bucket needs option 'size'");
    const Error bad("invalid_option",
                    "[size] option 'size' must be a number greater than 0 (e.g. 10000 or 0.5), at most 18 decimals");
    size_t dot = size->find('.');
    int scale = dot == std::string::npos ? 0 : static_cast<int>(size->size() - dot - 1);
    if (size->empty() || (*size)[0] == '-' || size->find_first_of("eE") != std::string::npos || scale > 18) return bad;
    Scaled s;
    if (!ParseScaled(*size, scale, &s) || s.truncated || s.mag == 0) return bad;
    u128 limit = 1;
    for (int k = 0; k < 30; ++k) limit *= 10;
    if (s.mag >= limit) return bad;
    a->size_ = s.mag;
    a->scale_ = scale;
  } else if (has_size) {
    return Error("invalid_option", "[size] option 'size' is only used with to: bucket");
  }
  return std::unique_ptr<Action>(std::move(a));
}

Status GeneralizeAction::Apply(const ActionContext&, const codec::ScalarRef& v, std::string* out) const {
  const bool str = v.type == codec::JsonType::kString;
  if (str && v.text.empty()) {  // nothing to generalize, nothing to hide
    out->append("\"\"");
    return Status::Ok();
  }
  const bool num = v.type == codec::JsonType::kNumber;
  std::string_view t = str ? v.text : v.raw;
  switch (to_) {
    case To::kYear:
    case To::kYearMonth: {
      if (!str && !num) return Error("unsupported_type", "generalize to a date takes strings or YYYYMMDD numbers");
      int y = 0, m = 0, d = 0;
      if (!ParseDate(t, &y, &m, &d))
        return Error("invalid_date",
                     "value is not a valid date (YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD, YYYYMMDD or ISO 8601)");
      codec::AppendJsonString(to_ == To::kYear ? Pad(y, 4) : Pad(y, 4) + "-" + Pad(m, 2), out);
      return Status::Ok();
    }
    case To::kBucket: {
      if (!str && !num) return Error("unsupported_type", "generalize to: bucket takes numbers or numeric strings");
      Scaled s;
      if (!ParseScaled(t, scale_, &s)) return Error("invalid_number", "value is not a number in range");
      i128 val = static_cast<i128>(s.mag);
      if (s.negative) val = -val - (s.truncated ? 1 : 0);
      const auto size = static_cast<i128>(size_);
      i128 q = val / size;
      if (val % size != 0 && val < 0) --q;
      const i128 lower = q * size;
      codec::AppendJsonString(FormatScaled(lower, scale_) + "-" + FormatScaled(lower + size - 1, scale_), out);
      return Status::Ok();
    }
    case To::kBirthDecadeSex: {
      if (!str && !num) return Error("unsupported_type", "generalize to: birth_decade_sex takes strings");
      std::string digits;
      if (t.size() == 14 && t[6] == '-') {
        digits = std::string(t.substr(0, 6)) + std::string(t.substr(7));
      } else {
        digits = std::string(t);
      }
      int yy = 0, mm = 0, dd = 0, g = 0, tail = 0;
      if (digits.size() != 13 || !Digits(digits, 0, 2, &yy) || !Digits(digits, 2, 2, &mm) ||
          !Digits(digits, 4, 2, &dd) || !Digits(digits, 6, 1, &g) || !Digits(digits, 7, 6, &tail))
        return Error("invalid_rrn", "value is not a resident registration number (6 + 7 digits)");
      const int century = (g == 1 || g == 2 || g == 5 || g == 6) ? 1900 : (g == 9 || g == 0) ? 1800 : 2000;
      const int year = century + yy;
      if (!ValidYmd(year, mm, dd)) return Error("invalid_rrn", "resident registration number has an invalid date");
      codec::AppendJsonString(std::to_string(year / 10 * 10) + (g % 2 == 1 ? "s-M" : "s-F"), out);
      return Status::Ok();
    }
    case To::kProvince:
    case To::kDistrict: {
      if (!str) return Error("unsupported_type", "generalize to an address level takes strings");
      auto words = SplitWords(t);
      const char* prov = words.empty() ? nullptr : FindProvince(words[0]);
      if (!prov) return Error("unknown_province", "address does not start with a known 시/도");
      std::string result(prov);
      if (to_ == To::kDistrict && result != "세종특별자치시") {  // Sejong has no 시/군/구
        if (words.size() < 2 || !(EndsWith(words[1], "시") || EndsWith(words[1], "군") || EndsWith(words[1], "구")))
          return Error("unknown_district", "address has no 시/군/구 after the 시/도");
        result += " ";
        result += words[1];
      }
      codec::AppendJsonString(result, out);
      return Status::Ok();
    }
  }
  return Error("unsupported_type", "unknown generalization");
}

// ---- registry ---------------------------------------------------------------

namespace {
using Factory = Result<std::unique_ptr<Action>> (*)(ActionOptions&, const ActionEnv&);
struct Entry {
  const char* name;
  Factory create;
};
constexpr Entry kActions[] = {
    {"tokenize", &TokenizeAction::Create}, {"mask", &MaskAction::Create},
    {"redact", &RedactAction::Create},     {"keep", &KeepAction::Create},
    {"encrypt", &EncryptAction::Create},   {"encrypt_deterministic", &EncryptDeterministicAction::Create},
    {"fpe", &FpeAction::Create},           {"generalize", &GeneralizeAction::Create},
    {"scan", &ScanAction::Create},
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
