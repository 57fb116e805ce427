// Base64 (RFC 4648 section 4, padded, strict) and base64url (section 5, no
// padding).
#include "crypto/base64.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace maskproxy::crypto {
namespace {

std::string Enc(std::string_view s) {
  return Base64Encode(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

std::string UrlEnc(const std::vector<uint8_t>& b) {
  std::string out;
  Base64UrlEncode(b.data(), b.size(), &out);
  return out;
}

std::optional<std::string> Dec(std::string_view s) {
  auto r = Base64Decode(s);
  if (!r) return std::nullopt;
  return std::string(r->begin(), r->end());
}

// RFC 4648 section 10.
struct Vector {
  const char* plain;
  const char* encoded;
};
constexpr Vector kRfc4648[] = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

TEST(Base64, Rfc4648Section10Encode) {
  for (const auto& v : kRfc4648) EXPECT_EQ(Enc(v.plain), v.encoded) << "plain: '" << v.plain << "'";
}

TEST(Base64, Rfc4648Section10Decode) {
  for (const auto& v : kRfc4648) {
    auto d = Dec(v.encoded);
    ASSERT_TRUE(d.has_value()) << "encoded: '" << v.encoded << "'";
    EXPECT_EQ(*d, v.plain);
  }
}

TEST(Base64, StandardAlphabetHighBytes) {
  std::vector<uint8_t> b = {0xfb, 0xff};
  EXPECT_EQ(Base64Encode(b.data(), b.size()), "+/8=");
  auto d = Base64Decode("+/8=");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(*d, b);
}

TEST(Base64, RoundTripAllLengthsAndBytes) {
  std::vector<uint8_t> data;
  for (size_t n = 0; n < 300; ++n) {
    auto enc = Base64Encode(data.data(), data.size());
    EXPECT_EQ(enc.size(), (n + 2) / 3 * 4);
    auto dec = Base64Decode(enc);
    ASSERT_TRUE(dec.has_value()) << "length " << n;
    EXPECT_EQ(*dec, data) << "length " << n;
    data.push_back(static_cast<uint8_t>(n * 151 + 7));
  }
}

TEST(Base64, RejectsBadCharacters) {
  EXPECT_FALSE(Base64Decode("Zm9v!A==").has_value());
  EXPECT_FALSE(Base64Decode("Zm9v YmFy").has_value());
  EXPECT_FALSE(Base64Decode("Zm9v\nYmFy").has_value());
  EXPECT_FALSE(Base64Decode("-_8=").has_value());  // url alphabet is not standard base64
  EXPECT_FALSE(Base64Decode("Zg=A").has_value());  // '=' inside
  EXPECT_FALSE(Base64Decode("Zg==Zg==").has_value());
  EXPECT_FALSE(Base64Decode("====").has_value());
  EXPECT_FALSE(Base64Decode("A===").has_value());
  EXPECT_FALSE(Base64Decode(std::string("Zm9v\0\0\0\0", 8)).has_value());
}

TEST(Base64, RejectsBadLength) {
  EXPECT_FALSE(Base64Decode("Z").has_value());
  EXPECT_FALSE(Base64Decode("Zg").has_value());   // padding required
  EXPECT_FALSE(Base64Decode("Zm8").has_value());  // padding required
  EXPECT_FALSE(Base64Decode("Zg=").has_value());
  EXPECT_FALSE(Base64Decode("Zm9vY").has_value());
  EXPECT_FALSE(Base64Decode("Zm9vYg=").has_value());
  EXPECT_FALSE(Base64Decode("Zm9vYg===").has_value());
}

TEST(Base64, RejectsNonCanonicalTrailingBits) {
  // "f" is Zg==; Zh== carries the same byte with non-zero unused bits.
  EXPECT_FALSE(Base64Decode("Zh==").has_value());
  EXPECT_FALSE(Base64Decode("Zm9=").has_value());  // "fo" is Zm8=
  EXPECT_TRUE(Base64Decode("Zg==").has_value());
  EXPECT_TRUE(Base64Decode("Zm8=").has_value());
}

TEST(Base64Url, HighBytesUseUrlAlphabetWithoutPadding) {
  std::vector<uint8_t> b = {0xfb, 0xff};
  EXPECT_EQ(UrlEnc(b), "-_8");
  auto d = Base64UrlDecode("-_8");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(*d, b);

  std::vector<uint8_t> c = {0xfb, 0xff, 0xbf};
  EXPECT_EQ(UrlEnc(c), "-_-_");
  auto e = Base64UrlDecode("-_-_");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(*e, c);
}

TEST(Base64Url, AppendsToExistingOutput) {
  std::string out = "t1.k.1.";
  std::vector<uint8_t> b = {'f', 'o', 'o', 'b'};
  Base64UrlEncode(b.data(), b.size(), &out);
  EXPECT_EQ(out, "t1.k.1.Zm9vYg");
}

TEST(Base64Url, Rfc4648VectorsWithoutPadding) {
  for (const auto& v : kRfc4648) {
    std::string plain = v.plain;
    std::string expect = v.encoded;
    while (!expect.empty() && expect.back() == '=') expect.pop_back();
    EXPECT_EQ(UrlEnc(std::vector<uint8_t>(plain.begin(), plain.end())), expect);
    auto d = Base64UrlDecode(expect);
    ASSERT_TRUE(d.has_value()) << expect;
    EXPECT_EQ(std::string(d->begin(), d->end()), plain);
  }
}

TEST(Base64Url, RoundTripAllLengths) {
  std::vector<uint8_t> data;
  for (size_t n = 0; n < 200; ++n) {
    std::string enc = UrlEnc(data);
    EXPECT_EQ(enc.find_first_of("+/="), std::string::npos);
    EXPECT_EQ(enc.size(), (n * 4 + 2) / 3);
    auto dec = Base64UrlDecode(enc);
    ASSERT_TRUE(dec.has_value()) << "length " << n;
    EXPECT_EQ(*dec, data) << "length " << n;
    data.push_back(static_cast<uint8_t>(0xff - n * 3));
  }
}

TEST(Base64Url, RejectsBadInput) {
  EXPECT_FALSE(Base64UrlDecode("+/8").has_value());   // standard alphabet
  EXPECT_FALSE(Base64UrlDecode("-_8=").has_value());  // padding
  EXPECT_FALSE(Base64UrlDecode("A").has_value());     // impossible length
  EXPECT_FALSE(Base64UrlDecode("Zm9vY").has_value());
  EXPECT_FALSE(Base64UrlDecode("Zh").has_value());  // non-canonical trailing bits
  EXPECT_FALSE(Base64UrlDecode("Zm9").has_value());
  EXPECT_FALSE(Base64UrlDecode("Zm 8").has_value());
}

}  // namespace
}  // namespace maskproxy::crypto
