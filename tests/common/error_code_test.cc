#include "common/error_code.h"

#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <string>

#include "common/result.h"

namespace maskproxy {
namespace {

bool IsSnakeCase(std::string_view s) {
  if (s.empty() || s.front() < 'a' || s.front() > 'z' || s.back() == '_') return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok || (c == '_' && s[i + 1] == '_')) return false;
  }
  return true;
}

TEST(ErrorCode, EveryCodeHasAUniqueSnakeCaseNameAndAMeaning) {
  std::set<std::string_view> names;
  for (size_t i = 0; i < kErrorCodeCount; ++i) {
    const auto c = static_cast<ErrorCode>(i);
    const std::string_view name = ErrorCodeName(c);
    EXPECT_TRUE(IsSnakeCase(name)) << "code " << i << ": '" << name << "'";
    EXPECT_TRUE(names.insert(name).second) << "duplicate name " << name;
    EXPECT_FALSE(ErrorCodeMeaning(c).empty()) << name << " has no meaning";
    EXPECT_EQ(ErrorCodeMeaning(c).find('\n'), std::string_view::npos) << name;
  }
  EXPECT_EQ(names.size(), kErrorCodeCount);
}

TEST(ErrorCode, NameAndEnumRoundTrip) {
  for (size_t i = 0; i < kErrorCodeCount; ++i) {
    const auto c = static_cast<ErrorCode>(i);
    const std::optional<ErrorCode> back = ErrorCodeFromName(ErrorCodeName(c));
    ASSERT_TRUE(back.has_value()) << ErrorCodeName(c);
    EXPECT_EQ(*back, c);
  }
  EXPECT_FALSE(ErrorCodeFromName("").has_value());
  EXPECT_FALSE(ErrorCodeFromName("Invalid_Json").has_value());
  EXPECT_FALSE(ErrorCodeFromName("invalid_json ").has_value());
  EXPECT_FALSE(ErrorCodeFromName("a_code_added_later").has_value());
}

// The names are an interface (metric labels, dead-letter reasons, CLI and
// JSON output): these must never change.
TEST(ErrorCode, StableNames) {
  EXPECT_EQ(ErrorCodeName(ErrorCode::kInvalidJson), "invalid_json");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kKeyMissing), "key_missing");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kKafkaFatal), "kafka_fatal");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kInternal), "internal");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kPolicyInvalid), "policy_invalid");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kTooLarge), "too_large");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kTooLargeForTopic), "too_large_for_topic");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kProduceTooLarge), "produce_too_large");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kFieldCount), "field_count");
  EXPECT_EQ(ErrorCodeName(ErrorCode::kValueTooShort), "value_too_short");
}

TEST(ErrorCode, ConstexprLookup) {
  static_assert(ErrorCodeName(ErrorCode::kInvalidJson) == "invalid_json");
  static_assert(ErrorCodeFromName("key_missing") == ErrorCode::kKeyMissing);
  static_assert(!ErrorCodeFromName("no_such_code").has_value());
}

TEST(ErrorCode, PrintsItsName) {
  std::ostringstream os;
  os << ErrorCode::kInvalidUtf8;
  EXPECT_EQ(os.str(), "invalid_utf8");
  EXPECT_EQ(testing::PrintToString(ErrorCode::kKeyMissing), "key_missing");
}

TEST(ErrorCode, ErrorToStringUsesTheName) {
  const Error e(ErrorCode::kInvalidJson, "empty document");
  EXPECT_EQ(e.ToString(), "invalid_json: empty document");
  EXPECT_EQ(Error().code, ErrorCode::kInternal);
}

}  // namespace
}  // namespace maskproxy
