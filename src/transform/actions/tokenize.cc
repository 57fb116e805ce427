#include "transform/actions/tokenize.h"

#include "common/text.h"
#include "crypto/keyring.h"
#include "detect/phone.h"
#include "transform/formats.h"

namespace maskproxy::transform {

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
    return Error(ErrorCode::kKeyMissing, "[key] key '" + *key_name + "' is not in the keyring" +
                                             (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
  }
  // Key custody: a one-way token's key never sits in the reversible keyring
  // (the one a reveal host holds).
  if (key->purpose == crypto::KeyPurpose::kReversible)
    return Error(ErrorCode::kKeyPurposeMismatch,
                 "[key] key '" + *key_name + "' is in the reversible keyring " + key->origin +
                     "; tokenize needs a key of the tokenization keyring (a reveal host holds the reversible "
                     "one and could recompute tokens of guessed values)");
  auto tok = crypto::Tokenizer::Create(*key, "tokenize:" + *domain, TokenPrefix(*key));
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
      return Error(ErrorCode::kNormalizeFailed, "value is not a Korean phone number");
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
    if (nv.empty() && !in.empty())
      return Error(ErrorCode::kNormalizeFailed, "value has nothing left after normalization");
    in = nv;
  }
  out->push_back('"');
  Status s = tok_.Tokenize(in, out);
  out->push_back('"');
  return s;
}

}  // namespace maskproxy::transform
