#include "transform/actions/tokenize.h"

#include "common/unicode.h"
#include "crypto/keyring.h"
#include "detect/phone.h"
#include "detect/validators.h"
#include "transform/formats.h"

namespace maskproxy::transform {

Result<std::unique_ptr<Action>> TokenizeAction::Create(ActionOptions& o, const ActionEnv& env) {
  auto key_name = o.TakeString("key", "", /*required=*/true);
  if (!key_name.ok()) return key_name.error();
  auto norm = o.TakeEnum("normalize", "none", {"none", "digits", "rrn", "lower", "alnum", "phone_kr"});
  if (!norm.ok()) return norm.error();
  auto domain = o.TakeString("domain", env.field_path);
  if (!domain.ok()) return domain.error();
  auto found = FindRuleKey(env, *key_name);
  if (!found.ok()) return found.error();
  const crypto::Key* key = *found;
  // Key custody: a one-way token's key never sits in the reversible keyring
  // (the one a reveal host holds).
  if (key->purpose == crypto::KeyPurpose::kReversible)
    return Error(ErrorCode::kKeyPurposeMismatch,
                 "[key] key" + crypto::ShownName(*key_name) + " is in the reversible keyring " + key->origin +
                     "; tokenize needs a key of the tokenization keyring (a reveal host holds the reversible "
                     "one and could recompute tokens of guessed values)");
  auto tok = crypto::Tokenizer::Create(*key, "tokenize:" + *domain, TokenPrefix(*key));
  if (!tok.ok()) return tok.error();
  Normalize n = *norm == "digits"     ? Normalize::kDigits
                : *norm == "rrn"      ? Normalize::kRrn
                : *norm == "lower"    ? Normalize::kLower
                : *norm == "alnum"    ? Normalize::kAlnum
                : *norm == "phone_kr" ? Normalize::kPhoneKr
                                      : Normalize::kNone;
  return std::unique_ptr<Action>(new TokenizeAction(std::move(tok).value(), n));
}

Status TokenizeAction::Apply(const ActionContext&, const codec::ScalarRef& v, std::string* out) const {
  std::string_view in = v.text;
  // An empty text holds nothing to protect: it stays empty (its token made
  // every missing value one person to a join; found by review).
  if (in.empty() && v.type == codec::JsonType::kString) {
    out->append("\"\"");
    return Status::Ok();
  }
  if (norm_ == Normalize::kPhoneKr && !in.empty()) {
    // Every written form of one Korean phone number gives one token.
    thread_local std::string phone;
    if (!detect::CanonicalPhoneKrInto(in, &phone)) {
      return Error(ErrorCode::kNormalizeFailed, "value is not a Korean phone number");
    }
    in = phone;
  } else if (norm_ != Normalize::kNone && norm_ != Normalize::kPhoneKr) {
    // Normalized into a reused per-thread buffer: no allocation per value;
    // one loop per mode (the mode is not re-tested per byte).
    thread_local std::string norm;
    if (norm.size() < in.size()) norm.resize(in.size());
    const auto* s = reinterpret_cast<const unsigned char*>(in.data());
    const size_t len = in.size();
    char* o = norm.data();
    size_t n = 0;
    switch (norm_) {
      case Normalize::kDigits:
      case Normalize::kRrn:
        for (size_t i = 0; i < len; ++i) {
          const unsigned char c = s[i];
          if (static_cast<unsigned char>(c - '0') < 10) {
            o[n++] = static_cast<char>(c);
          } else if (c >= 0xC0) {
            // A digit of another script or form (full-width, Arabic-Indic,
            // superscript, ...: unicode::DigitValue, as the scanner reads
            // digits) is its ASCII digit; other characters are dropped.
            uint32_t cp = 0;
            const size_t clen = unicode::DecodeUtf8(in, i, &cp);
            if (clen == 0) continue;
            if (const int d = unicode::DigitValue(cp); d >= 0) o[n++] = static_cast<char>('0' + d);
            i += clen - 1;
          }
        }
        break;
      case Normalize::kAlnum:
        for (size_t i = 0; i < len; ++i) {
          const unsigned char c = s[i];
          const unsigned char lower = static_cast<unsigned char>(c | 0x20);
          if (static_cast<unsigned char>(c - '0') < 10)
            o[n++] = static_cast<char>(c);
          else if (static_cast<unsigned char>(lower - 'a') < 26)
            o[n++] = static_cast<char>(lower);
        }
        break;
      case Normalize::kLower:
        for (size_t i = 0; i < len; ++i) {
          const unsigned char c = s[i];
          o[n++] = static_cast<char>(static_cast<unsigned char>(c - 'A') < 26 ? c + 32 : c);
        }
        break;
      case Normalize::kNone:
      case Normalize::kPhoneKr: break;
    }
    std::string_view nv(norm.data(), n);
    if (norm_ == Normalize::kRrn) nv = detect::RrnWithoutCentury(nv);
    if (norm_ == Normalize::kLower) {
      size_t b = nv.find_first_not_of(" \t\r\n");
      size_t e = nv.find_last_not_of(" \t\r\n");
      nv = b == std::string_view::npos ? std::string_view() : nv.substr(b, e - b + 1);
    }
    if (nv.empty() && !in.empty())
      return Error(ErrorCode::kNormalizeFailed, "value has nothing left after normalization");
    if (norm_ == Normalize::kRrn && nv.size() >= 10 && nv.size() < 13) {
      // Born 2000-2009, kept in a numeric type: the leading zeros are gone
      // (501014123456 is 050101-4123456; a second review): put back when
      // the padded number's date and gender digit hold. (Other short values,
      // a masked 900101-1****** among them, are tokenized by their digits,
      // as the legal display form must not send a record to the dead
      // letters: a third review.)
      thread_local std::string padded;
      padded.assign(13 - nv.size(), '0').append(nv);
      const char g = padded[6];
      if ((g == '3' || g == '4' || g == '7' || g == '8') &&
          detect::RrnDateValid(std::string_view(padded).substr(0, 6), g))
        nv = padded;
    }
    in = nv;
  }
  out->push_back('"');
  Status s = tok_.Tokenize(in, out);
  out->push_back('"');
  return s;
}

}  // namespace maskproxy::transform
