// ErrorCode: every error code maskproxy produces, from one table.
//
// A code is a stable, snake_case name: it is a metric label value
// (maskproxy_records_dead_lettered_total{reason=...}), the dead-letter reason
// header, the first word of `Error::ToString()` and of CLI/JSON output. The
// names are an interface: never rename or reuse one; add a new line instead.
//
// To add a code: add ONE line to MASKPROXY_ERROR_CODES below (enum constant,
// name, one-line meaning), keeping the table sorted by name. Nothing else
// needs to change; tests/common/error_code_test.cc checks the table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <ostream>
#include <string_view>

namespace maskproxy {

// X(enumerator, "name", "meaning")
#define MASKPROXY_ERROR_CODES(X)                                                                                       \
  X(kAdminListenFailed, "admin_listen_failed", "the admin listener could not bind or listen on its address")           \
  X(kAmbiguousFieldName, "ambiguous_field_name", "a member name folds to a protected one but is not it")               \
  X(kAuditFailed, "audit_failed", "the audit log could not be opened or written")                                      \
  X(kAuthFailed, "auth_failed", "an AEAD tag did not verify (wrong key or tampered ciphertext)")                       \
  X(kConfigInvalid, "config_invalid", "the config file has a wrong key, value or shape")                               \
  X(kConfigUnreadable, "config_unreadable", "the config file could not be read")                                       \
  X(kCryptoFailed, "crypto_failed", "an OpenSSL call failed")                                                          \
  X(kCryptoUnavailable, "crypto_unavailable", "OpenSSL lacks a needed algorithm")                                      \
  X(kDepthExceeded, "depth_exceeded", "a JSON document nests deeper than max_depth")                                   \
  X(kDetectFailed, "detect_failed", "the detector prefilter failed at run time")                                       \
  X(kDetectorCompileFailed, "detector_compile_failed", "the detector set could not be compiled")                       \
  X(kDomainTooSmall, "domain_too_small", "a value is too short for format-preserving encryption")                      \
  X(kFieldCount, "field_count", "a CSV row has a different number of fields than the header")                          \
  X(kFileStillBeingWritten, "file_still_being_written",                                                                \
    "a reload waited the writer timeout for a file still open for writing; nothing was read")                          \
  X(kFpeFailed, "fpe_failed", "format-preserving encryption did not finish (cycle walking)")                           \
  X(kFpeInvalidChar, "fpe_invalid_char", "a value has a character outside the fpe alphabet and separators")            \
  X(kFpeNotInteger, "fpe_not_integer", "fpe was given a JSON number that is not an integer")                           \
  X(kHttpBadResponse, "http_bad_response", "an HTTP peer answered something that is not a bounded HTTP response")      \
  X(kHttpTlsFailed, "http_tls_failed", "an HTTPS handshake or certificate check failed, or a client cert is unusable") \
  X(kHttpUnreachable, "http_unreachable", "an HTTP peer could not be resolved, reached or finished in time")           \
  X(kInputTooLong, "input_too_long", "a value is longer than FF1 accepts")                                             \
  X(kInternal, "internal", "a bug or broken invariant inside maskproxy")                                               \
  X(kInvalidAlphabet, "invalid_alphabet", "an FF1 alphabet is not 2-128 distinct ASCII characters")                    \
  X(kInvalidArgument, "invalid_argument", "a malformed argument (e.g. the maskproxy.keys header)")                     \
  X(kInvalidCiphertext, "invalid_ciphertext", "a value to reveal is not an output of this rule")                       \
  X(kInvalidCsv, "invalid_csv", "the input is not valid CSV")                                                          \
  X(kInvalidDate, "invalid_date", "a value is not a valid date")                                                       \
  X(kInvalidDetector, "invalid_detector", "a custom detector definition is invalid")                                   \
  X(kInvalidHeaders, "invalid_headers", "a consumed record's headers could not be parsed")                             \
  X(kInvalidIv, "invalid_iv", "an IV/nonce has the wrong length")                                                      \
  X(kInvalidJson, "invalid_json", "the input is not valid (strict) JSON")                                              \
  X(kInvalidKey, "invalid_key", "a key has the wrong length or form")                                                  \
  X(kInvalidNumber, "invalid_number", "a value is not a number of the expected form")                                  \
  X(kInvalidNumeral, "invalid_numeral", "an FF1 numeral or character is outside the radix or alphabet")                \
  X(kInvalidOption, "invalid_option", "an action option is missing or has a wrong value")                              \
  X(kInvalidPath, "invalid_path", "a field path does not parse")                                                       \
  X(kInvalidRadix, "invalid_radix", "an FF1 radix is outside [2, 65536]")                                              \
  X(kInvalidRrn, "invalid_rrn", "a value is not a resident registration number")                                       \
  X(kInvalidRule, "invalid_rule", "a rule cannot be applied as written")                                               \
  X(kInvalidUtf8, "invalid_utf8", "text is not valid UTF-8")                                                           \
  X(kIoError, "io_error", "a file or stream could not be read or written")                                             \
  X(kKafkaAuthFailed, "kafka_auth_failed", "a broker refused the TLS handshake or the SASL credentials at start")      \
  X(kKafkaFatal, "kafka_fatal", "Kafka reported a fatal error; the pipeline stops")                                    \
  X(kKafkaInitFailed, "kafka_init_failed", "a Kafka client could not be created")                                      \
  X(kKafkaSubscribeFailed, "kafka_subscribe_failed", "subscribing to the source topics failed")                        \
  X(kKafkaUnreachable, "kafka_unreachable", "no broker of a side answered the start-up probe in time")                 \
  X(kKeyExhausted, "key_exhausted", "a key version reached its usage limit")                                           \
  X(kKeyMismatch, "key_mismatch", "a value was protected with a different key than the one given")                     \
  X(kKeyMissing, "key_missing", "a named key is not in the keyring")                                                   \
  X(kKeyPurposeMismatch, "key_purpose_mismatch",                                                                       \
    "a rule names a key of the wrong keyring purpose (tokenization or reversible)")                                    \
  X(kKeyTooShort, "key_too_short", "a key in the keyring is shorter than required")                                    \
  X(kKeyWeak, "key_weak", "a key in the keyring is not random material")                                               \
  X(kKeyUnavailable, "key_unavailable", "the rule's key is not held here (a reveal host holds only reversible keys)")  \
  X(kKeyVersionUnknown, "key_version_unknown", "a value names a key version the keyring does not have")                \
  X(kKeyringInsecure, "keyring_insecure", "the keyring file is accessible by group or others")                         \
  X(kKeyringInvalid, "keyring_invalid", "the keyring file has a wrong shape or value")                                 \
  X(kKeyringUnreadable, "keyring_unreadable", "the keyring file could not be read")                                    \
  X(kKeyringWriteFailed, "keyring_write_failed", "the keyring file could not be written")                              \
  X(kKmsDenied, "kms_denied", "the KMS refused the token (HTTP 401/403)")                                              \
  X(kKmsFailed, "kms_failed", "the KMS refused a request or answered something unexpected")                            \
  X(kKmsUnreachable, "kms_unreachable", "the KMS could not be reached, timed out, or is sealed/unavailable")           \
  X(kNormalizeFailed, "normalize_failed", "a value does not fit the rule's normalize form")                            \
  X(kNotObject, "not_object", "a record value is JSON but not an object")                                              \
  X(kNotReversible, "not_reversible", "this action's output cannot be revealed")                                       \
  X(kNotScalar, "not_scalar", "a rule that takes a scalar met an object or array")                                     \
  X(kOutputTopicUnavailable, "output_topic_unavailable",                                                               \
    "a reload names a destination or dead-letter topic the destination cluster does not have")                         \
  X(kPathConflict, "path_conflict", "two rule paths overlap")                                                          \
  X(kProtectionRemovalUnconfirmed, "protection_removal_unconfirmed",                                                   \
    "a reload a file change started would remove protections; SIGHUP or POST /reload confirms it")                     \
  X(kPathShapeMismatch, "path_shape_mismatch", "a record's shape does not match a rule path")                          \
  X(kPiiInBinary, "pii_in_binary", "a key or header declared binary holds text that looks like PII")                   \
  X(kPiiInFieldName, "pii_in_field_name", "a field or header name looks like PII")                                     \
  X(kPolicyConflict, "policy_conflict", "policies or routes contradict each other")                                    \
  X(kPolicyInvalid, "policy_invalid", "the policy has a wrong key, value or shape")                                    \
  X(kPolicyTestsFailed, "policy_tests_failed", "a policy's embedded tests (tests:) fail")                              \
  X(kPolicyUnreadable, "policy_unreadable", "a policy file could not be read")                                         \
  X(kProduceFailed, "produce_failed", "producing a record to Kafka failed")                                            \
  X(kProduceTooLarge, "produce_too_large", "Kafka refused a record as too large")                                      \
  X(kRevealDenied, "reveal_denied", "a reveal request is not covered by a role of its certificate subject")            \
  X(kRevealRateLimited, "reveal_rate_limited", "a reveal request is over its subject's rate limit")                    \
  X(kScanFailed, "scan_failed", "a scan detector/action pairing failed")                                               \
  X(kTestHang, "test_hang", "tests only: a pipeline under test did not stop in time (never produced by src/)")         \
  X(kTextTooLarge, "text_too_large", "text of 4 GiB or more cannot be scanned")                                        \
  X(kTooLarge, "too_large", "a record or value exceeds max_record_bytes")                                              \
  X(kTooLargeForTopic, "too_large_for_topic", "dead-letter reason: the masked record is too large for its topic")      \
  X(kTooManyAdComponents, "too_many_ad_components", "AES-SIV takes at most 126 associated-data components")            \
  X(kUnknownAction, "unknown_action", "a rule names an action that does not exist")                                    \
  X(kUnknownDistrict, "unknown_district", "an address has no known district")                                          \
  X(kUnknownFormat, "unknown_format", "the input format cannot be told from the file name")                            \
  X(kUnknownProvince, "unknown_province", "an address has no known province")                                          \
  X(kUnsupportedType, "unsupported_type", "an action does not apply to this JSON type")                                \
  X(kUsage, "usage", "the command line is wrong")                                                                      \
  X(kUsageLedgerCorrupt, "usage_ledger_corrupt", "the key usage ledger has a malformed line")                          \
  X(kUsageLedgerIo, "usage_ledger_io", "the key usage ledger could not be read or written")                            \
  X(kUsageLedgerLocked, "usage_ledger_locked", "the key usage ledger is in use by another process")                    \
  X(kValueTooShort, "value_too_short", "a value has fewer characters than the action needs")

enum class ErrorCode : uint16_t {
#define MASKPROXY_ERROR_CODE_ENUM(id, name, meaning) id,
  MASKPROXY_ERROR_CODES(MASKPROXY_ERROR_CODE_ENUM)
#undef MASKPROXY_ERROR_CODE_ENUM
};

namespace error_code_internal {
struct Entry {
  ErrorCode code;
  std::string_view name;
  std::string_view meaning;
};
inline constexpr Entry kTable[] = {
#define MASKPROXY_ERROR_CODE_ENTRY(id, name, meaning) {ErrorCode::id, name, meaning},
    MASKPROXY_ERROR_CODES(MASKPROXY_ERROR_CODE_ENTRY)
#undef MASKPROXY_ERROR_CODE_ENTRY
};
}  // namespace error_code_internal

inline constexpr size_t kErrorCodeCount = std::size(error_code_internal::kTable);

// The stable name ("invalid_json"); "internal" for a value outside the table.
[[nodiscard]] constexpr std::string_view ErrorCodeName(ErrorCode c) {
  const auto i = static_cast<size_t>(c);
  return i < kErrorCodeCount ? error_code_internal::kTable[i].name : std::string_view("internal");
}
// The one-line meaning (for docs and `--help`-style listings).
[[nodiscard]] constexpr std::string_view ErrorCodeMeaning(ErrorCode c) {
  const auto i = static_cast<size_t>(c);
  return i < kErrorCodeCount ? error_code_internal::kTable[i].meaning : std::string_view();
}
// The code with this exact name, or nullopt.
[[nodiscard]] constexpr std::optional<ErrorCode> ErrorCodeFromName(std::string_view name) {
  for (const auto& e : error_code_internal::kTable)
    if (e.name == name) return e.code;
  return std::nullopt;
}

// Prints the name (so gtest shows `invalid_json`, not a number).
std::ostream& operator<<(std::ostream& os, ErrorCode c);

}  // namespace maskproxy
