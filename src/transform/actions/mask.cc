#include "transform/actions/mask.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "codec/json.h"
#include "common/unicode.h"

namespace maskproxy::transform {

namespace {

// Length of the UTF-8 character at s[i], by common/unicode.h's decoder (ASCII
// inline). The value is valid UTF-8 (the codec and the CSV reader check), so
// the decoder never answers 0; if it did, the byte would count as one.
inline size_t CharLen(std::string_view s, size_t i) {
  if (static_cast<unsigned char>(s[i]) < 0x80) return 1;
  uint32_t cp = 0;
  const size_t n = unicode::DecodeUtf8(s, i, &cp);
  return n == 0 ? 1 : n;
}

}  // namespace

Result<std::unique_ptr<Action>> MaskAction::Create(ActionOptions& o, const ActionEnv&) {
  std::unique_ptr<MaskAction> a(new MaskAction());
  auto first = o.TakeInt("keep_first", 0, 0, 64);
  if (!first.ok()) return first.error();
  auto last = o.TakeInt("keep_last", 0, 0, 64);
  if (!last.ok()) return last.error();
  auto ch = o.TakeString("mask_char", "*");
  if (!ch.ok()) return ch.error();
  if (ch->empty() || !codec::IsValidUtf8(*ch) || CharLen(*ch, 0) != ch->size() ||
      static_cast<unsigned char>((*ch)[0]) < 0x20)
    return Error(ErrorCode::kInvalidOption, "[mask_char] option 'mask_char' must be one printable character");
  // (Found by review: these two were refused as "not one printable character".)
  if (*ch == "\"" || *ch == "\\")
    return Error(ErrorCode::kInvalidOption,
                 "[mask_char] option 'mask_char' may not be '\"' or '\\': JSON text escapes them, so a masked value "
                 "would not show one character per character masked");
  // Any script's or form's digit ("９", "①", "٣"): readers and the
  // detectors read it as an ASCII digit (found by review: "９" passed).
  uint32_t mask_cp = 0;
  if (unicode::DecodeUtf8(*ch, 0, &mask_cp) != 0 && unicode::DigitValue(mask_cp) >= 0)
    return Error(ErrorCode::kInvalidOption,
                 "[mask_char] option 'mask_char' may not be a digit: a masked number would read as another number");
  // A character a reader does not see or that changes what is around it
  // (zero-width, format and bidi controls, line separators, combining and
  // enclosing marks: "411111\u200b…1111" reads as a shorter number), a
  // blank other than the space, and a letter read as a digit (l I O o, and
  // their look-alikes such as the Roman numeral one): found by review.
  const int letter = mask_cp < 0x80 ? static_cast<int>(mask_cp) : unicode::AsciiLetterOf(mask_cp);
  if (unicode::IsHidden(mask_cp) || unicode::IsCombiningMark(mask_cp) || unicode::IsEnclosingMark(mask_cp) ||
      (mask_cp != ' ' && unicode::IsWhiteSpace(mask_cp)))
    return Error(ErrorCode::kInvalidOption,
                 "[mask_char] option 'mask_char' must be one printable character a reader sees (not invisible, a "
                 "format or line control, a combining mark or a blank other than the space)");
  if (letter == 'l' || letter == 'I' || letter == 'O' || letter == 'o')
    return Error(ErrorCode::kInvalidOption,
                 "[mask_char] option 'mask_char' may not be a letter read as a digit (l, I, O, o or a look-alike)");
  auto seps = o.TakeString("separators", " -./()+:_@");
  if (!seps.ok()) return seps.error();
  for (char c : *seps) {
    if (static_cast<unsigned char>(c) >= 0x80 || static_cast<unsigned char>(c) < 0x20)
      return Error(ErrorCode::kInvalidOption, "[separators] option 'separators' must be printable ASCII characters");
    // A separator is shown as it is: a digit or letter there would show the
    // value ("0123456789" left a card number whole).
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
      return Error(ErrorCode::kInvalidOption,
                   "[separators] option 'separators' may not hold letters or digits: separators are shown as they "
                   "are, so the value would be too");
    a->separator_[static_cast<unsigned char>(c)] = true;
  }
  // Each ASCII byte's class, once: a separator is shown as it is; white
  // space is what the space is (shown when it is a separator, else masked);
  // a control character is masked; neither counts.
  for (size_t c = 0; c < 128; ++c) {
    const auto cp = static_cast<uint32_t>(c);
    if (a->separator_[c])
      a->ascii_class_[c] = MaskClass::kAsIs;
    else if (unicode::IsWhiteSpace(cp))
      a->ascii_class_[c] = a->separator_[' '] ? MaskClass::kAsIs : MaskClass::kUncounted;
    else
      a->ascii_class_[c] = unicode::IsControl(cp) ? MaskClass::kUncounted : MaskClass::kCounted;
  }
  a->keep_first_ = static_cast<size_t>(*first);
  a->keep_last_ = static_cast<size_t>(*last);
  a->mask_char_ = *ch;
  return std::unique_ptr<Action>(std::move(a));
}

std::string MaskAction::Warning() const {
  const size_t shown = keep_first_ + keep_last_;
  if (shown <= kMaxShownWarn) return "";
  return "keep_first + keep_last show " + std::to_string(shown) + " characters of every value longer than that; " +
         "PCI DSS allows at most " + std::to_string(kMaxShownWarn) +
         " digits of a card number (the first 6 and the last 4), and a resident registration number has 13";
}

MaskAction::MaskClass MaskAction::NonAsciiClass(uint32_t cp) const {
  // The scripts of names and addresses first: Hangul syllables, CJK
  // ideographs, Latin-1 and Latin Extended-A letters are read.
  if ((cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0x4E00 && cp <= 0x9FFF) ||
      (cp >= 0xC0 && cp <= 0x17F && cp != 0xD7 && cp != 0xF7))
    return MaskClass::kCounted;
  if (unicode::IsCombiningMark(cp)) return MaskClass::kMark;
  if (unicode::IsWhiteSpace(cp)) return ascii_class_[' '];  // what the space is
  if (unicode::IsHidden(cp) || unicode::LooksBlank(cp)) return MaskClass::kUncounted;
  return MaskClass::kCounted;
}

Status MaskAction::Apply(const ActionContext&, const codec::ScalarRef& v, std::string* out) const {
  std::string_view in = v.text;
  // Only characters a reader reads count: white space of any kind is what
  // the space is (shown when it is a separator, else masked), invisible and
  // control characters are masked, neither counted, and a combining mark
  // goes with the character before it (found by review: three zero-width
  // spaces or NULs inside a card number counted as hidden characters, so
  // 10 of its 11 digits were shown; no-break spaces between its groups
  // showed 8). Each character is read once: its length and class kept for
  // the second pass.
  struct Char {
    uint8_t len;
    MaskClass cls;
    bool digit;
    bool masked;  // the rule's mask character: a character masked already
  };
  thread_local std::vector<Char> chars;  // reused per thread: no allocation per value
  chars.clear();
  size_t total = 0;      // counted characters
  size_t digits = 0;     // of which digits
  size_t premasked = 0;  // of which the mask character
  for (size_t i = 0; i < in.size();) {
    const auto c = static_cast<unsigned char>(in[i]);
    Char ch{1, MaskClass::kCounted, false, false};
    if (c < 0x80) {
      ch.cls = ascii_class_[c];
      ch.digit = c >= '0' && c <= '9';
    } else {
      uint32_t cp = 0;
      const size_t n = unicode::DecodeUtf8(in, i, &cp);  // valid UTF-8 (the codec, the CSV reader check)
      if (n != 0) {
        ch.len = static_cast<uint8_t>(n);
        ch.cls = NonAsciiClass(cp);
        ch.digit = ch.cls == MaskClass::kCounted && unicode::DigitValue(cp) >= 0;
      }
    }
    ch.masked = ch.cls == MaskClass::kCounted && ch.len == mask_char_.size() && in[i] == mask_char_[0] &&
                (ch.len == 1 || in.compare(i, ch.len, mask_char_) == 0);
    total += ch.cls == MaskClass::kCounted ? 1 : 0;
    digits += ch.digit ? 1 : 0;
    premasked += ch.masked ? 1 : 0;
    chars.push_back(ch);
    i += ch.len;
  }
  // What is kept is shown only when enough is hidden: at least 4
  // characters, or half of a shorter value ("김*", "홍*동"). A value shorter
  // than the rule expects (a phone typed into a card field, 6 + 4 of 11
  // digits) is masked whole rather than shown but for one character.
  const size_t kept = keep_first_ + keep_last_;
  bool show = kept < total && total - kept >= std::min<size_t>(kMinHidden, total / 2);
  // A number keeps that many of its digits hidden too: other characters
  // among them (x, #, U+FFFC) counted as hidden ones, so "541275xxx12345"
  // showed 10 of its 11 digits (a re-review). The mask character counts as
  // a digit masked already ("541275******3456" stays as it is, another
  // re-review). Not for text with a few digits ("T-42 some words"): the
  // digits and mask characters must be half of the value, or the digits 8
  // or more (a number padded longer than itself, "541275xxxxxxxxxxxx12345",
  // or inside words: a third re-review). When every counted character is
  // one, the rule above said it.
  const size_t numeric = digits + premasked;
  if (show && digits > 0 && numeric < total && (numeric * 2 >= total || digits >= 8)) {
    size_t kept_digits = 0;
    for (size_t j = 0, seen = 0; j < chars.size() && seen < keep_first_; ++j)
      if (chars[j].cls == MaskClass::kCounted) {
        kept_digits += chars[j].digit ? 1 : 0;
        ++seen;
      }
    for (size_t j = chars.size(), seen = 0; j > 0 && seen < keep_last_; --j)
      if (chars[j - 1].cls == MaskClass::kCounted) {
        kept_digits += chars[j - 1].digit ? 1 : 0;
        ++seen;
      }
    show = numeric - kept_digits >= std::min<size_t>(kMinHidden, numeric / 2);
  }
  thread_local std::string masked;  // reused per thread: no allocation per value
  masked.clear();
  masked.reserve(in.size() + total * mask_char_.size());
  size_t idx = 0;
  bool shown_before = false;  // the last counted character was kept
  size_t i = 0;
  for (const Char& ch : chars) {
    switch (ch.cls) {
      case MaskClass::kAsIs: masked.append(in.substr(i, ch.len)); break;
      case MaskClass::kUncounted: masked.append(mask_char_); break;
      case MaskClass::kMark:
        if (shown_before) masked.append(in.substr(i, ch.len));
        break;
      case MaskClass::kCounted:
        shown_before = show && (idx < keep_first_ || idx >= total - keep_last_);
        if (shown_before)
          masked.append(in.substr(i, ch.len));
        else
          masked.append(mask_char_);
        ++idx;
        break;
    }
    i += ch.len;
  }
  codec::AppendJsonString(masked, out);
  return Status::Ok();
}

}  // namespace maskproxy::transform
