// The versioned output formats (transform/formats.h): prefixes, AAD bytes
// and parsing, pinned byte for byte (outputs already written must keep
// revealing).
#include "transform/formats.h"

#include <gtest/gtest.h>

#include <string>

namespace maskproxy::transform {
namespace {

TEST(Formats, Prefixes) {
  EXPECT_EQ(OutputPrefix(kEncryptFormat, "pii", 12), "e1.pii.12.");
  EXPECT_EQ(OutputPrefix(kEncryptFormatV2, "pii", 12), "e2.pii.12.");
  EXPECT_EQ(OutputPrefix(kDeterministicFormat, "k", 1), "d1.k.1.");
  crypto::Key key;
  key.name = "rrn";
  key.active = 3;
  EXPECT_EQ(TokenPrefix(key), "t1.rrn.3.");
}

TEST(Formats, AadBytes) {
  std::string aad = "x";  // appended to what is there
  AppendEncryptAad(kEncryptFormat, "tp", "a.b", "k", "7", &aad);
  EXPECT_EQ(aad, std::string("x"
                             "\0\0\0\2e1"
                             "\0\0\0\2tp"
                             "\0\0\0\3a.b"
                             "\0\0\0\1k"
                             "\0\0\0\1"
                             "7",
                             1 + 6 + 6 + 7 + 5 + 5));
  std::string aad2;
  AppendEncryptAad(kEncryptFormatV2, "tp", "a.b", "k", "7", &aad2);
  EXPECT_EQ(aad2, std::string("\0\0\0\2e2"
                              "\0\0\0\2tp"
                              "\0\0\0\3a.b"
                              "\0\0\0\1k"
                              "\0\0\0\1"
                              "7",
                              6 + 6 + 7 + 5 + 5));
  EXPECT_EQ(DeterministicAad("dom", "k", 10), std::string("\0\0\0\2d1"
                                                          "\0\0\0\3dom"
                                                          "\0\0\0\1k"
                                                          "\0\0\0\2"
                                                          "10",
                                                          6 + 7 + 5 + 6));
}

TEST(Formats, PayloadIsBase64UrlWithoutPadding) {
  std::string out;
  AppendPayload(std::string("\xFB\xFF", 2), &out);
  EXPECT_EQ(out, "-_8");
  auto back = DecodePayload(out);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(std::string(back->begin(), back->end()), std::string("\xFB\xFF", 2));
  EXPECT_FALSE(DecodePayload("!!").has_value());
}

TEST(Formats, ParsesSelfDescribingOutputs) {
  std::string storage;
  auto d = ParseSelfDescribing("\"e1.pii.4294967295.QUJD\"", kEncryptFormat, &storage);
  ASSERT_TRUE(d.ok()) << d.error().ToString();
  EXPECT_EQ(d->key_name, "pii");
  EXPECT_EQ(d->version, 4294967295u);
  EXPECT_EQ(d->payload, "QUJD");
  for (const char* bad : {"\"d1.pii.1.QUJD\"", "\"e1.pii.4294967296.QUJD\"", "\"e1.pii.01.QUJD\"", "\"e1.pii.QUJD\"",
                          "\"e1..1.QUJD\"", "e1.pii.1.QUJD", "\"e1\"", "\"\""}) {
    auto r = ParseSelfDescribing(bad, kEncryptFormat, &storage);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidCiphertext) << bad;
  }
}

}  // namespace
}  // namespace maskproxy::transform
