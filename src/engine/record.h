// The record call's types: a record as the drivers see it (a view of bytes
// they own) and what the engine makes of it. See Engine::MaskRecord and
// Engine::MaskCsvRow.
//
// How a route treats each part of a record:
//  - the value: its rules and unlisted_fields (Engine::MaskValue); a
//    tombstone (no value) stays a tombstone;
//  - the key: a $key rule applies to it (it must be UTF-8 text, else
//    "invalid_utf8"); with no $key rule, unlisted_fields says: keep (as is),
//    drop (the key becomes null) or scan (PII in it is protected; a key that
//    is not UTF-8 is refused with "invalid_utf8" unless `binary:` declares
//    $key pass or drop);
//  - each header, in order (names may repeat): a $header.NAME rule applies to
//    every header whose name matches NAME ASCII case-insensitively (a null
//    value stays null); other headers follow unlisted_fields and `binary:`
//    like the key. A header name that only folds (unicode::FoldName) to a
//    ruled or binary name is refused with "ambiguous_field_name"; under scan,
//    an unlisted header whose name looks like PII with "pii_in_field_name".
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace maskproxy::metrics {
class Counter;
}  // namespace maskproxy::metrics

namespace maskproxy::policy {
struct Rule;
struct Route;
}  // namespace maskproxy::policy

namespace maskproxy::engine {

struct Finding;

struct HeaderView {
  std::string_view name;
  std::optional<std::string_view> value;  // nullopt: a header with a null value
};

struct RecordView {
  std::string_view topic;
  std::optional<std::string_view> key;    // nullopt: no key
  std::optional<std::string_view> value;  // nullopt: a tombstone
  std::span<const HeaderView> headers;    // in order
};

struct Header {
  std::string name;
  std::optional<std::string> value;
  bool operator==(const Header&) const = default;
};

// What MaskRecord produced. Reuse one per thread: its buffers keep their
// capacity between records.
struct MaskedRecord {
  // The key to produce: points into the view's key or into key_buf.
  std::optional<std::string_view> key;
  bool tombstone = false;
  std::string value;  // the masked value (empty for a tombstone)
  // False: the headers are the view's, unchanged (the driver may pass its
  // own copy on). True: `headers` is the full new list, in order.
  bool headers_changed = false;
  std::vector<Header> headers;
  std::vector<Finding> findings;  // what the scans found (see Finding)
  // One entry per value, key or header a rule protected: the rule's index in
  // route.rules (a rule applied to three array elements appears three
  // times). For metrics; empty when no rule applied.
  std::vector<int32_t> applied;
  // One entry per value `on_unprotectable: redact` redacted: the counter of
  // maskproxy_unprotectable_values_total{route,rule} to count it in, when the
  // driver knows the record is durable (not counted by the engine: a record
  // masked again after an abort would count twice, a dry run would count).
  std::vector<metrics::Counter*> unprotectable;

  std::string key_buf;  // storage for a changed key
  std::string scratch;
};

// A CSV header row compiled against a route (Engine::PlanCsv).
class CsvPlan {
 public:
  [[nodiscard]] size_t columns() const { return cols_.size(); }
  // False when the column is removed (header included).
  [[nodiscard]] bool kept(size_t c) const { return cols_[c].kept; }
  // False when the engine never looks at the column's cells (they are copied
  // as they are): the driver may skip unquoting them.
  [[nodiscard]] bool reads(size_t c) const { return cols_[c].reads; }

 private:
  friend class Engine;
  struct Column {
    std::string name;
    const policy::Rule* rule = nullptr;
    bool kept = true;
    bool reads = false;
  };
  std::vector<Column> cols_;
};

struct CsvCell {
  enum class State {
    kSame,     // write the input cell as it was
    kText,     // write `text` (quoted as CSV needs)
    kRemoved,  // the column is removed
  };
  State state = State::kSame;
  std::string text;
};

struct CsvRow {
  std::vector<CsvCell> cells;                    // one per column of the plan
  std::vector<Finding> findings;                 // what the scans found in the row
  std::vector<metrics::Counter*> unprotectable;  // as MaskedRecord::unprotectable
};

}  // namespace maskproxy::engine
