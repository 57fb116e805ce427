// Deterministic tokens: format, determinism, separation by value, domain and
// key version, and one known answer computed independently (see below).
#include "crypto/token.h"

#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "transform/formats.h"

namespace maskproxy::crypto {
namespace {

SecretBytes Material(uint8_t first) {
  std::vector<uint8_t> v(32);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<uint8_t>(first + i);
  return SecretBytes(std::move(v));
}

// Key with versions 1 (bytes 0x00..0x1f) and 2 (bytes 0x40..0x5f).
Key MakeKey(const std::string& name, uint32_t active) {
  Key k;
  k.name = name;
  k.active = active;
  k.versions.emplace(1, Material(0x00));
  k.versions.emplace(2, Material(0x40));
  return k;
}

// The tokenizer with the token format's prefix (transform/formats.h), as
// the tokenize action creates it.
Result<Tokenizer> MakeTokenizer(const Key& key, std::string_view domain) {
  return Tokenizer::Create(key, domain, transform::TokenPrefix(key));
}

std::string Tok(const Key& key, std::string_view domain, std::string_view value) {
  auto t = MakeTokenizer(key, domain);
  if (!t.ok()) {
    ADD_FAILURE() << t.error().ToString();
    return "";
  }
  std::string out;
  Status s = t->Tokenize(value, &out);
  if (!s.ok()) {
    ADD_FAILURE() << s.error().ToString();
    return "";
  }
  return out;
}

TEST(Tokenizer, KnownAnswer) {
  // Computed independently with Python's hmac/hashlib:
  //
  //   import hmac, hashlib, base64
  //   def H(k, m): return hmac.new(k, m, hashlib.sha256).digest()
  //   def hkdf(ikm, salt, info, L):
  //       prk = H(salt, ikm); t = b""; okm = b""; i = 1
  //       while len(okm) < L:
  //           t = H(prk, t + info + bytes([i])); okm += t; i += 1
  //       return okm[:L]
  //   sub = hkdf(bytes(range(32)), b"maskproxy/token/v1", b"tokenize:dom", 32)
  //   print("t1.k.1." + base64.urlsafe_b64encode(H(sub, b"value")[:16]).decode().rstrip("="))
  //
  // -> t1.k.1.wR8Lvwwa7TfU1L77M_dWMQ
  Key k = MakeKey("k", 1);
  EXPECT_EQ(Tok(k, "tokenize:dom", "value"), "t1.k.1.wR8Lvwwa7TfU1L77M_dWMQ");
}

TEST(Tokenizer, Format) {
  const std::regex re(R"(^t1\.rrn\.1\.[A-Za-z0-9_-]{22}$)");
  Key k = MakeKey("rrn", 1);
  for (const char* v : {"", "a", "900101-1234567", "홍길동", "a much longer value with spaces and \"quotes\""}) {
    std::string t = Tok(k, "user.rrn", v);
    EXPECT_TRUE(std::regex_match(t, re)) << t;
  }
}

TEST(Tokenizer, AppendsToOutput) {
  auto t = MakeTokenizer(MakeKey("k", 1), "tokenize:dom");
  ASSERT_TRUE(t.ok());
  std::string out = "prefix:";
  ASSERT_TRUE(t->Tokenize("value", &out).ok());
  EXPECT_EQ(out, "prefix:t1.k.1.wR8Lvwwa7TfU1L77M_dWMQ");
}

TEST(Tokenizer, Deterministic) {
  Key k = MakeKey("rrn", 1);
  std::string a = Tok(k, "user.rrn", "900101-1234567");
  EXPECT_EQ(a, Tok(k, "user.rrn", "900101-1234567"));
  // A second tokenizer instance, and the same instance used twice.
  auto t = MakeTokenizer(k, "user.rrn");
  ASSERT_TRUE(t.ok());
  std::string x, y;
  ASSERT_TRUE(t->Tokenize("900101-1234567", &x).ok());
  ASSERT_TRUE(t->Tokenize("900101-1234567", &y).ok());
  EXPECT_EQ(x, a);
  EXPECT_EQ(y, a);
}

TEST(Tokenizer, DifferentValueDifferentToken) {
  Key k = MakeKey("rrn", 1);
  EXPECT_NE(Tok(k, "d", "900101-1234567"), Tok(k, "d", "900101-1234568"));
  EXPECT_NE(Tok(k, "d", ""), Tok(k, "d", " "));
  EXPECT_NE(Tok(k, "d", "a"), Tok(k, "d", "A"));
}

TEST(Tokenizer, DifferentDomainDifferentToken) {
  Key k = MakeKey("rrn", 1);
  std::string a = Tok(k, "user.rrn", "900101-1234567");
  std::string b = Tok(k, "payee.rrn", "900101-1234567");
  EXPECT_NE(a, b);
  EXPECT_EQ(a.substr(0, 8), "t1.rrn.1");
  EXPECT_EQ(b.substr(0, 8), "t1.rrn.1");
}

TEST(Tokenizer, DifferentActiveVersionDifferentToken) {
  std::string v1 = Tok(MakeKey("rrn", 1), "d", "900101-1234567");
  std::string v2 = Tok(MakeKey("rrn", 2), "d", "900101-1234567");
  EXPECT_TRUE(std::regex_match(v1, std::regex(R"(^t1\.rrn\.1\.[A-Za-z0-9_-]{22}$)"))) << v1;
  EXPECT_TRUE(std::regex_match(v2, std::regex(R"(^t1\.rrn\.2\.[A-Za-z0-9_-]{22}$)"))) << v2;
  EXPECT_NE(v1.substr(9), v2.substr(9));
}

TEST(Tokenizer, KeyNameInPrefix) {
  // Same material under another name: only the prefix differs.
  std::string a = Tok(MakeKey("a", 1), "d", "v");
  std::string b = Tok(MakeKey("b", 1), "d", "v");
  EXPECT_EQ(a.substr(0, 5), "t1.a.");
  EXPECT_EQ(b.substr(0, 5), "t1.b.");
  EXPECT_EQ(a.substr(5), b.substr(5));
}

TEST(Tokenizer, BinaryValuesWithNulBytes) {
  Key k = MakeKey("k", 1);
  EXPECT_NE(Tok(k, "d", std::string_view("a\0b", 3)), Tok(k, "d", std::string_view("a\0c", 3)));
  EXPECT_NE(Tok(k, "d", std::string_view("a\0b", 3)), Tok(k, "d", "a"));
}

}  // namespace
}  // namespace maskproxy::crypto
