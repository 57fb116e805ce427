// Batch mode: masks files (JSON Lines or CSV) with the same Engine the proxy
// uses. One record at a time, in constant memory: input is read in 1 MiB
// blocks, output written in 1 MiB blocks (blank lines too), and no more than
// one record (at most max_line_bytes) is held. The read buffer grows only as
// a record needs it, so a large max_line_bytes costs nothing until a record
// is that long; a buffer that cannot be allocated ends the run ("io_error").
//
//   batch::BatchOptions opt;
//   opt.format = batch::FormatForPath("events.jsonl").value();
//   auto stats = batch::MaskStream(*engine, *engine->FindRoute("payments.raw"), in, out, &quarantine, opt);
//
// JSON Lines (.jsonl, .ndjson, .json):
//  - each line is one record, masked with Engine::MaskValue exactly as the
//    proxy masks a record value from the route's source topic: same output
//    bytes. The route's $key and $header rules do not apply (files have no
//    keys or headers);
//  - line terminators are kept as they were ("\n", "\r\n", or none on a last
//    line without one); the "\r" is not part of the record;
//  - blank lines (empty or only JSON whitespace) are copied through as they
//    are and are not records;
//  - a record that cannot be masked never reaches `out`. With a quarantine
//    stream it is written there as one JSON line:
//      {"line":N,"reason":"<code>","detail":"<safe message>","record":"<raw line>"}
//    where "record" is the raw line as a JSON string, or, when the line is
//    not valid UTF-8, "record_base64" holds its bytes in base64 instead. A
//    line longer than max_line_bytes is skipped without being held in memory:
//    its entry has reason "too_large", "record": null and a detail naming the
//    limit as the user set it (BatchOptions::limit_name).
//    Without a quarantine stream the first such record ends the run with an
//    error naming its line (fail closed); the records before it are written.
//
// CSV (.csv), RFC 4180:
//  - quoted fields, "" inside quotes, delimiters and line breaks inside
//    quotes, CRLF or LF; the first record is the header and names the columns
//    (matched exactly, a rule on a duplicated column name applies to each);
//  - the header row is compiled against the route once (Engine::PlanCsv) and
//    each row's cells are masked by Engine::MaskCsvRow: this file only reads
//    and writes CSV;
//  - a rule whose path is a single key names a column; its cells are handed
//    to the rule's action as JSON strings and the result is
//    written back as text, quoted only when it must be (delimiter, quote, CR
//    or LF). An action whose output is JSON null (redact mode "null") leaves
//    an empty cell; an action that removes the member (redact mode remove)
//    removes the column, header included. Cells no rule names are copied byte
//    for byte, or, when the route drops unlisted fields (unlisted_fields:
//    drop), removed with their header, or scanned for PII (unlisted_fields:
//    scan) like a JSON string. $key and $header rules are ignored;
//  - before any row is written, the header row is an error: "too_large" if
//    it is longer than max_line_bytes, "invalid_rule"
//    if a rule's path is nested or names no column, "ambiguous_field_name"
//    if a column's name differs from a ruled one only in case, width, spaces
//    or invisible characters, "pii_in_field_name" under unlisted_fields:
//    scan if an unlisted column's name looks like PII, "invalid_utf8" or
//    "invalid_csv" if the header row is not valid UTF-8 or CSV;
//  - a row with the wrong number of fields ("field_count"), bad quoting or a
//    CR inside an unquoted field other than its line end's (many readers
//    take a lone CR for a line break) ("invalid_csv"), invalid UTF-8
//    ("invalid_utf8") or a failing action is
//    quarantined as for JSON Lines, "line" being the line the row starts on
//    (the header is line 1), "record" the row without its last line end;
//  - max_line_bytes holds for a row as for a JSON line: a row whose bytes
//    before its line end are more is quarantined as "too_large" with
//    "record": null (not kept, whatever else is wrong with it), skipped to
//    the end of the line the limit falls in;
//  - quotes: a quote opens a quoted field only as the field's first byte. A
//    quote anywhere else in an unquoted field (5" screen) is bad quoting:
//    that row alone is "invalid_csv" and reading resumes at the next line.
//    A quoted field may hold line breaks while its row stays within
//    max_line_bytes. One that spans a line break and does not close within
//    that (or before the end of the input), or is followed by anything but a
//    delimiter or a line end, fails the run ("invalid_csv", naming the line
//    its row starts on): where its row ends cannot be told, and reading the
//    lines after it as rows could put one column's text (a memo a rule
//    protects) into another that passes, while skipping them would lose
//    rows. So does a refused row (too_large, or invalid_csv for bad quoting
//    or a CR) if, where it would be skipped to (the end of the line it went
//    wrong on), a quoted field that opened in it is still open as a lenient
//    reader sees it (a quote opens a field only as its first byte; text
//    after a closing quote continues the field): the lines after it are
//    that field's text. An unbalanced quote on a row's last line (nothing
//    after it to take) is that row's "invalid_csv".
//  - blank lines are copied through and are not records. A row written as
//    one cell that is empty or only blanks (the other columns removed, or a
//    one-column file) is written quoted (""), so that it is not read back
//    as a blank line and lost.
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

#include "common/result.h"
#include "engine/engine.h"

namespace maskproxy::batch {

enum class Format {
  kAuto,  // from BatchOptions::file_name (see FormatForPath)
  kJsonLines,
  kCsv,
};

// .jsonl, .ndjson, .json -> kJsonLines; .csv -> kCsv (case-insensitive).
// Anything else: error "unknown_format".
[[nodiscard]] Result<Format> FormatForPath(std::string_view path);

struct BatchOptions {
  Format format = Format::kAuto;
  std::string file_name;      // for kAuto: the input's name (only its extension is used)
  char csv_delimiter = ',';   // not '"', CR or LF
  size_t max_line_bytes = 0;  // longest record kept; 0 = the engine's max_record_bytes
  // The source topic the records are masked as (encryption binds it: reveal
  // --topic names it); empty: the route's `from` (a pattern route's pattern).
  std::string topic;
  // What the user calls that limit where they set it, for the messages of a
  // record or row over it (`maskproxy mask`: "--max-record-bytes"). Empty:
  // "max_line_bytes" when it is set, else "max_record_bytes".
  std::string limit_name;
};

struct BatchStats {
  uint64_t records = 0;      // records read (blank lines and the CSV header are not records)
  uint64_t masked = 0;       // records written to `out`
  uint64_t quarantined = 0;  // records written to the quarantine stream
  uint64_t blank_lines = 0;  // JSON Lines: blank lines copied through (no record: nothing to mask)
  uint64_t bytes_in = 0;     // bytes read from `in`
  uint64_t bytes_out = 0;    // bytes written to `out`
  // What the PII scans found in the records written (see engine::Finding):
  // hits of scan rules, and per (field, detector) the records in which a
  // field no rule names carried PII (unlisted_fields: scan).
  uint64_t pii_scanned = 0;
  std::map<std::pair<std::string, std::string>, uint64_t> unlisted_pii;
  // JSON Lines: per rule of the route (its index in route.rules), the values
  // it rewrote or removed in the records written; a rule at 0 matched
  // nothing (a path that does not meet the records: `maskproxy mask` says
  // so). Empty for CSV, whose header is checked against every rule.
  std::vector<uint64_t> rule_values;
};

// Masks every record of `in` into `out` with `route`'s rules (see above).
// `quarantine` may be null: then the first record that cannot be masked is
// an error. Errors: "unknown_format", "invalid_option", the header row's
// (CSV, above), "io_error", or a record's reason (no quarantine stream); messages
// carry line numbers, codes and rule paths, never record content.
[[nodiscard]] Result<BatchStats> MaskStream(const engine::Engine& engine, const engine::RouteRef& route,
                                            std::istream& in, std::ostream& out, std::ostream* quarantine,
                                            const BatchOptions& options);

// A file this run created, held open: written through its descriptor
// (`WritePath`, /proc/self/fd/N, which names the created file itself), never
// reopened by its name, which a writer of the directory could have replaced
// by a symbolic link in between. Closed when it goes.
class CreatedFile {
 public:
  explicit CreatedFile(int fd) : fd_(fd) {}
  CreatedFile(CreatedFile&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  CreatedFile& operator=(CreatedFile&&) = delete;
  CreatedFile(const CreatedFile&) = delete;
  CreatedFile& operator=(const CreatedFile&) = delete;
  ~CreatedFile();
  [[nodiscard]] int fd() const { return fd_; }
  // The path to open for writing: the created file, whatever its name names now.
  [[nodiscard]] std::string WritePath() const;

 private:
  int fd_;
};

// Creates `path` empty for a file that holds raw records (the quarantine,
// staged as NAME.partial): a file already there (a stale .partial, whatever
// its mode) is removed first, so no one who opened it can read what follows;
// the new file is created exclusively (O_CREAT | O_EXCL, not through a
// symlink) with mode 0600 and fchmod-ed to 0600 on the open descriptor, so
// the umask cannot change it. The caller writes through the descriptor.
// Errors: "io_error" (with errno text, never content).
[[nodiscard]] Result<CreatedFile> CreatePrivateFile(const std::string& path);

// The same for the masked output's staging file (NAME.partial): a file or
// symbolic link already there is removed (never written through), and the
// new file is created exclusively, not through a symlink, with mode 0666
// less the umask. Errors: "io_error".
[[nodiscard]] Result<CreatedFile> CreateFreshFile(const std::string& path);

}  // namespace maskproxy::batch
