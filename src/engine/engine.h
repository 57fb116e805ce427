// Engine: one record in, one masked record (or a dead-letter reason) out.
//
// The only thing both drivers (pipeline, batch) call. Knows nothing of Kafka
// or files. Holds compiled policies by shared pointer; immutable after
// Create(), so one Engine can be used from several threads.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "codec/json.h"
#include "common/result.h"
#include "engine/record.h"
#include "policy/policy.h"

namespace maskproxy::detect {
class Scanner;
}  // namespace maskproxy::detect

namespace re2 {
class RE2;
}

namespace maskproxy::engine {

struct Limits {
  size_t max_record_bytes = 1 << 20;
  uint32_t max_depth = 64;
};

struct RouteRef {
  const policy::Policy* policy;
  const policy::Route* route;
  std::string policy_label;  // name@version#hash
};

// What the PII scans of one record found, for metrics and the audit trail.
// Never holds a value: `field` is a rule's path, or for a value no rule names
// (unlisted_fields: scan) its location with array indexes as [*], member
// names that themselves look like PII replaced by <detector>, and long names
// cut to 64 bytes.
struct Finding {
  std::string field;
  std::string_view detector;  // valid while the policy lives
  bool unlisted = false;      // found by the schema-drift guard
  bool operator==(const Finding&) const = default;
};

// Reads one JSON scalar (an action's output) back into its text: a string
// unescaped, a number or boolean as written. Errors: "invalid_json", or
// "not_scalar" for an object or array. A JSON null gives nullopt.
[[nodiscard]] Result<std::optional<std::string>> ScalarText(std::string_view json);

// Whether a member, header or column name reads as a schema's name rather
// than as data a producer keyed a map by (a person's name, an address, an
// id, a date): at most 128 ASCII letters, digits and _ - $ @ . : only,
// starting with a letter, '_', '$' or '@', no '@' after that (an address),
// fewer than 6 digits. Finding labels, log lines,
// metric labels and dead-letter details show other names as <name>.
[[nodiscard]] bool LooksLikeSchemaName(std::string_view name);

// "person_name" or "address" when a member name is the value its parent's
// names say the field holds ({"customer_name":{"김민준":true}},
// {"address":{"강남구 역삼동 래미안아파트":…}}): a Korean name under a
// name's field, words of a Korean address under an address's (a review
// found both passing where the same text as a value was masked). Empty
// for a schema's name and otherwise. `context`: the parent's names.
[[nodiscard]] std::string_view PersonalName(std::string_view context, std::string_view name);

// The detector that finds PII in a member, header or column name (empty if
// none does): the name read as text and, when it is a number written with a
// fraction or an exponent ("9.001011234567E12", as a spreadsheet or a float
// writes an RRN), in the forms a reader sees its digits in
// (transform::NumberForms), as values are read; `context`, the names above
// it, as a value's field names are read (Scanner::Scan). Errors when the
// scanner cannot answer.
[[nodiscard]] Result<std::string_view> PiiInName(const detect::Scanner& scanner, std::string_view name,
                                                 std::string_view context = {});

class Engine {
 public:
  // Errors if two policies claim one source topic, or a route's output
  // topic is another route's source.
  [[nodiscard]] static Result<std::shared_ptr<const Engine>> Create(
      std::vector<std::shared_ptr<const policy::Policy>> policies, Limits limits);

  // The route of a source topic: an exact `from` first, then the first route
  // (in policy order) whose `from` pattern matches the whole topic name.
  // Callers on the record path should cache the answer per topic.
  [[nodiscard]] const RouteRef* FindRoute(std::string_view topic) const;
  // The RouteRef of one of the policies' routes (by identity), or null.
  [[nodiscard]] const RouteRef* RouteFor(const policy::Route* route) const;
  // What the consumer subscribes to: each route's topic, or its pattern as
  // policy::SubscriptionPattern gives it to librdkafka.
  [[nodiscard]] std::vector<std::string> SourceTopics() const;
  [[nodiscard]] const std::vector<RouteRef>& routes() const { return routes_; }
  [[nodiscard]] const Limits& limits() const { return limits_; }

  // Masks a record value (JSON). On error the code is the dead-letter reason
  // (too_large, invalid_json, invalid_utf8, depth_exceeded, not_object, or an
  // action's code) and the message is safe to log: it never holds the value.
  // `findings`, if given, gets what the route's scans found (appended);
  // `applied`, if given, the index (in route.rules) of the rule behind each
  // value a rule rewrote (appended; for metrics).
  // `unprotectable`, if given, gets the counter of each value
  // `on_unprotectable: redact` redacted (appended; the caller counts them);
  // without it they are counted at once.
  [[nodiscard]] Status MaskValue(const RouteRef& route, std::string_view topic, std::string_view value,
                                 std::string* out, std::vector<Finding>* findings = nullptr,
                                 std::vector<int32_t>* applied = nullptr,
                                 std::vector<metrics::Counter*>* unprotectable = nullptr) const;

  // Masks a whole record: its key, headers and value, as the route says (see
  // record.h). *out is reused between calls (keep one per thread): when no
  // rule names the key or a header and nothing in them changes, nothing is
  // allocated. On error the code is the dead-letter reason (as MaskValue,
  // plus invalid_utf8 for a key or header that is not text, and
  // ambiguous_field_name / pii_in_field_name for header names) and *out
  // holds nothing to produce.
  [[nodiscard]] Status MaskRecord(const RouteRef& route, const RecordView& record, MaskedRecord* out) const;

  // Compiles a CSV header row (column names) against a route. Errors:
  // "invalid_rule" for a value rule whose path is nested, or that names no
  // column (unless `names` is empty); "ambiguous_field_name" for a column
  // whose name folds (unicode::FoldName) to a ruled column's name without
  // being it; under unlisted_fields: scan, "pii_in_field_name" for an
  // unlisted column whose name looks like PII (the header is written as it
  // is).
  [[nodiscard]] Result<CsvPlan> PlanCsv(const RouteRef& route, std::span<const std::string> names) const;
  // Masks one CSV row: `cells` are the unquoted cells, one per column of
  // `plan`. Errors as MaskValue; "field_count" if the row has another
  // number of cells.
  [[nodiscard]] Status MaskCsvRow(const RouteRef& route, const CsvPlan& plan, std::string_view topic,
                                  std::span<const std::string_view> cells, CsvRow* out) const;

 private:
  Engine() = default;
  [[nodiscard]] Status MaskKey(const RouteRef& route, const RecordView& record, MaskedRecord* out) const;
  [[nodiscard]] Status MaskHeaders(const RouteRef& route, const RecordView& record, MaskedRecord* out) const;
  // A key or header declared `binary: pass` under unlisted_fields: scan whose
  // bytes are not valid UTF-8: Ok when no run of valid UTF-8 in it holds
  // what the scanner protects, else "pii_in_binary" (bytes that are not
  // text cannot be masked in place; the record is a dead letter).
  [[nodiscard]] Status CheckBinaryPass(const RouteRef& route, std::string_view topic, std::string_view label_prefix,
                                       std::string_view name, std::string_view bytes) const;
  // Scans a key or an unlisted header (label_prefix + name in findings).
  [[nodiscard]] Status ScanText(const RouteRef& route, std::string_view topic, std::string_view label_prefix,
                                std::string_view name, std::string_view text, std::string* out, bool* changed,
                                std::vector<Finding>* findings) const;

  // The schema-drift guard for a CSV cell no rule names (`field` its
  // column): when the route scans unlisted fields, *out
  // gets the text with each hit protected and *changed is set; otherwise
  // (nothing found, or the route keeps or drops unlisted fields) both are
  // left alone. Errors as MaskValue.
  [[nodiscard]] Status ScanUnlisted(const RouteRef& route, std::string_view topic, std::string_view field,
                                    std::string_view text, std::string* out, bool* changed,
                                    std::vector<Finding>* findings = nullptr) const;

  // Applies a $key or $header rule to the key's or header's bytes, which must
  // be valid UTF-8 (else "invalid_utf8"). *out gets the new bytes; *removed
  // is set instead when the action removes the value (redact: the key becomes
  // null, the header is dropped). Errors as MaskValue, never with the value.
  // `unprotectable` as in MaskValue. `field`: the name the value is read
  // under (a header's or CSV column's: a scan rule's context, as an unlisted
  // value's names are).
  [[nodiscard]] Status MaskPart(const policy::Rule& rule, std::string_view topic, std::string_view bytes,
                                std::string* out, bool* removed, std::vector<metrics::Counter*>* unprotectable,
                                std::string_view field = {}) const;

  std::vector<std::shared_ptr<const policy::Policy>> policies_;
  std::vector<RouteRef> routes_;
  std::map<std::string, size_t, std::less<>> by_topic_;
  std::vector<std::pair<std::shared_ptr<const re2::RE2>, size_t>> patterns_;  // pattern routes, in order
  Limits limits_;
};

}  // namespace maskproxy::engine
