#include "transform/actions/fpe.h"

#include <algorithm>
#include <vector>

#include "codec/json.h"
#include "common/number.h"
#include "crypto/mac.h"
#include "transform/actions/reversible.h"

namespace maskproxy::transform {

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
  return Error(ErrorCode::kDomainTooSmall, "the encrypted part of the value has under 1,000,000 possible values");
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
    if (!has_chars) return Error(ErrorCode::kInvalidOption, "[alphabet] alphabet 'custom' needs option 'chars'");
    if (chars->size() < 2 || chars->size() > 128)
      return Error(ErrorCode::kInvalidOption, "[chars] option 'chars' must have 2 to 128 characters");
    for (size_t i = 0; i < chars->size(); ++i) {
      auto c = static_cast<unsigned char>((*chars)[i]);
      if (c < 0x20 || c > 0x7E)
        return Error(ErrorCode::kInvalidOption, "[chars] option 'chars' must be printable ASCII characters");
      if (chars->find(static_cast<char>(c)) != i)
        return Error(ErrorCode::kInvalidOption, "[chars] option 'chars' has a repeated character");
    }
    a->alphabet_ = *chars;
  } else {
    if (has_chars) return Error(ErrorCode::kInvalidOption, "[chars] option 'chars' is only used with alphabet: custom");
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
      return Error(ErrorCode::kInvalidOption, "[separators] option 'separators' must be printable ASCII characters");
    // A separator passes as it is: a letter or digit there would pass text
    // beside the number in the clear ("KIM MINJUN 110-…": found by review).
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
      return Error(ErrorCode::kInvalidOption,
                   "[separators] option 'separators' may not hold letters or digits: separators pass as they are, "
                   "so the text would too");
    if (a->index_[u] < 0)
      a->separator_[u] = true;  // alphabet characters are never separators
    else if (a->encrypted_separators_.find(c) == std::string::npos)
      a->encrypted_separators_.push_back(c);
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
  for (int64_t len = *prefix + *suffix + 1; len <= static_cast<int64_t>(crypto::Ff1::kMaxLength); ++len) {
    if (EncryptedDomain(radix, len - *prefix - *suffix, a->ClassWalk(), /*zero_class=*/true) >=
        crypto::Ff1::kMinDomainSize) {
      a->shortest_safe_ = static_cast<size_t>(len);
      break;
    }
  }
  if (has_min) {
    // The shortest value's smaller class: with the class walk, strings whose
    // first encrypted digit is 0 (10^(n-1)); JSON numbers have 9 * 10^(n-1).
    const int64_t encrypted = *min_len - *prefix - *suffix;
    const uint64_t n = EncryptedDomain(radix, encrypted, a->ClassWalk(), /*zero_class=*/true);
    if (n < crypto::Ff1::kMinDomainSize)
      return Error(ErrorCode::kInvalidOption,
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
      return Error(ErrorCode::kFpeInvalidChar, "value has a character that is neither in the alphabet nor a separator");
    }
  }
  const size_t n = nums.size();
  if (min_length_ != 0 && n < min_length_)
    return Error(ErrorCode::kValueTooShort, "value has " + std::to_string(n) +
                                                " alphabet characters, fewer than min_length " +
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
      if (round == kMaxCycleWalk) return Error(ErrorCode::kFpeFailed, "cycle walking did not end");
      Status s = encrypt ? ff1.Encrypt(domain_, mid, &mid) : ff1.Decrypt(domain_, mid, &mid);
      if (!s.ok()) return s;
      if (!walk || mid[0] != 0) break;
    }
  }
  for (size_t k = 0; k < mid.size(); ++k) (*text)[pos[keep_prefix_ + k]] = alphabet_[mid[k]];
  return Status::Ok();
}

std::string FpeAction::Warning() const {
  std::string w;
  if (min_length_ == 0)
    w = "no min_length: a value with fewer than " + std::to_string(shortest_safe_) +
        " alphabet characters (an FPE domain under 1,000,000) is dead-lettered (domain_too_small) at run time; "
        "set min_length to the field's shortest value so that a field too short for FF1 is refused here";
  if (!encrypted_separators_.empty()) {
    if (!w.empty()) w += "; ";
    w += "option 'chars' holds separator characters (" + encrypted_separators_ +
         "): they are encrypted like the rest, so a value's separators move (010-1234-5678 may become "
         "18-545-81-096); leave them out of 'chars' to keep them in place";
  }
  return w;
}

Status FpeAction::Apply(const ActionContext&, const codec::ScalarRef& v, std::string* out) const {
  const bool number = v.type == codec::JsonType::kNumber;
  if (number) {
    if (!digits_) return Error(ErrorCode::kUnsupportedType, "fpe on a JSON number needs alphabet: digits");
    if (!maskproxy::number::IsJsonInteger(v.raw))
      return Error(ErrorCode::kFpeNotInteger, "fpe takes only integer JSON numbers");
  } else if (v.type != codec::JsonType::kString) {
    return Error(ErrorCode::kUnsupportedType, "fpe takes strings and integer numbers");
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
      return Error(ErrorCode::kInvalidCiphertext, "not an fpe output of this rule");
    text = std::string(json);
  } else if (!codec::DecodeJsonString(json, &text)) {
    return Error(ErrorCode::kInvalidCiphertext, "not a JSON string or integer");
  }
  if (!number && text.empty()) return std::string("\"\"");
  Status s = Run(false, it->second, number, &text);
  if (!s.ok()) {
    if (s.error().code == ErrorCode::kFpeInvalidChar)
      return Error(ErrorCode::kInvalidCiphertext, "not an fpe output of this rule");
    return s.error();
  }
  if (number) return text;
  std::string out;
  codec::AppendJsonString(text, &out);
  return out;
}

}  // namespace maskproxy::transform
