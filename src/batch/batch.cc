#include "batch/batch.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <set>
#include <vector>

#include "codec/json.h"
#include "crypto/base64.h"
#include "policy/policy.h"

namespace maskproxy::batch {
namespace {

constexpr size_t kBlock = 1 << 20;

// Reads `in` in blocks into one buffer that holds the unconsumed bytes
// [begin, end): at most one pending record plus one block. The buffer starts
// at two blocks and grows (doubling) only as a pending record needs it, up to
// max_record + 2 + one block: a large --max-record-bytes costs memory only
// when a record is that long. Allocation failure is an error, not an abort.
class Reader {
 public:
  Reader(std::istream& in, size_t max_record) : in_(in), cap_(max_record + 2 + kBlock) {}

  [[nodiscard]] std::string_view pending() const {
    static constexpr char kNone[1] = {};  // before the first Fill: empty, but not null (memchr)
    return std::string_view(buf_ ? buf_.get() + begin_ : kNone, end_ - begin_);
  }
  [[nodiscard]] bool eof() const { return eof_; }
  [[nodiscard]] uint64_t bytes_in() const { return bytes_in_; }
  void Consume(size_t n) { begin_ += n; }
  void DropAll() { begin_ = end_ = 0; }

  // Moves the pending bytes to the front and reads up to one block after
  // them, growing the buffer first when less than a block is free.
  [[nodiscard]] Status Fill() {
    if (begin_ > 0) {
      std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (size_ - end_ < kBlock && size_ < cap_) {
      const size_t want = std::min(cap_, std::max({2 * size_, end_ + kBlock, 2 * kBlock}));
      std::unique_ptr<char[]> grown(new (std::nothrow) char[want]);
      if (grown == nullptr)
        return Error(ErrorCode::kIoError, "cannot allocate " + std::to_string(want) +
                                              " bytes for the read buffer (lower --max-record-bytes)");
      if (end_ > 0) std::memcpy(grown.get(), buf_.get(), end_);
      buf_ = std::move(grown);
      size_ = want;
    }
    const size_t room = std::min(kBlock, size_ - end_);
    in_.read(buf_.get() + end_, static_cast<std::streamsize>(room));
    const size_t got = static_cast<size_t>(in_.gcount());
    end_ += got;
    bytes_in_ += got;
    if (in_.bad()) return Error(ErrorCode::kIoError, "cannot read the input");
    if (got == 0 || in_.eof()) eof_ = true;
    return Status::Ok();
  }

 private:
  std::istream& in_;
  const size_t cap_;  // the most the buffer may grow to
  std::unique_ptr<char[]> buf_;
  size_t size_ = 0;
  size_t begin_ = 0, end_ = 0;
  bool eof_ = false;
  uint64_t bytes_in_ = 0;
};

// Buffers output and writes it in large blocks.
class Writer {
 public:
  explicit Writer(std::ostream* out) : out_(out) { buf_.reserve(kBlock + 4096); }
  std::string& buf() { return buf_; }
  [[nodiscard]] uint64_t bytes() const { return bytes_; }
  [[nodiscard]] bool MaybeFlush() { return buf_.size() >= kBlock ? Flush() : true; }
  [[nodiscard]] bool Flush() {
    if (out_ == nullptr || buf_.empty()) return true;
    out_->write(buf_.data(), static_cast<std::streamsize>(buf_.size()));
    bytes_ += buf_.size();
    buf_.clear();
    return static_cast<bool>(*out_);
  }

 private:
  std::ostream* out_;
  std::string buf_;
  uint64_t bytes_ = 0;
};

Error IoError(const char* what) {
  return Error(ErrorCode::kIoError, what);
}

bool IsBlank(std::string_view s) {
  for (char c : s)
    if (c != ' ' && c != '\t' && c != '\r') return false;
  return true;
}

// Splits a line (without '\n') into the record and its terminator.
std::pair<std::string_view, std::string_view> SplitTerminator(std::string_view line, bool had_newline) {
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
    return {line, had_newline ? "\r\n" : "\r"};
  }
  return {line, had_newline ? "\n" : ""};
}

// Appends one quarantine entry (one JSON line). `raw` null: not kept.
void AppendQuarantine(uint64_t line, const Error& e, const std::string_view* raw, std::string* q) {
  q->append("{\"line\":");
  q->append(std::to_string(line));
  q->append(",\"reason\":");
  codec::AppendJsonString(ErrorCodeName(e.code), q);
  q->append(",\"detail\":");
  codec::AppendJsonString(codec::IsValidUtf8(e.message) ? std::string_view(e.message) : "", q);
  if (raw == nullptr) {
    q->append(",\"record\":null}\n");
  } else if (codec::IsValidUtf8(*raw)) {
    q->append(",\"record\":");
    codec::AppendJsonString(*raw, q);
    q->append("}\n");
  } else {
    q->append(",\"record_base64\":\"");
    q->append(crypto::Base64Encode(reinterpret_cast<const uint8_t*>(raw->data()), raw->size()));
    q->append("\"}\n");
  }
}

class Run {
 public:
  Run(const engine::Engine& eng, const engine::RouteRef& route, std::istream& in, std::ostream& out,
      std::ostream* quarantine, const BatchOptions& opt, size_t max_record)
      : eng_(eng),
        route_(route),
        topic_(opt.topic.empty() ? route.route->from : opt.topic),
        reader_(in, max_record),
        out_(&out),
        q_(quarantine),
        has_q_(quarantine != nullptr),
        opt_(opt),
        max_(max_record),
        limit_(!opt.limit_name.empty() ? opt.limit_name
                                       : (opt.max_line_bytes ? "max_line_bytes" : "max_record_bytes")) {}

  Result<BatchStats> Finish(const Status& st) {
    // Whatever is buffered in `out_` is masked; write it even on error.
    bool out_ok = out_.Flush();
    bool q_ok = q_.Flush();
    if (!st.ok()) return st.error();
    if (!out_ok) return IoError("cannot write the output");
    if (!q_ok) return IoError("cannot write the quarantine stream");
    stats_.bytes_in = reader_.bytes_in();
    stats_.bytes_out = out_.bytes();
    return stats_;
  }

  // A record that cannot be masked: to the quarantine stream, or the end.
  Status Refuse(uint64_t line, const Error& e, const std::string_view* raw) {
    if (!has_q_) return Error(e.code, "line " + std::to_string(line) + ": " + e.message);
    AppendQuarantine(line, e, raw, &q_.buf());
    ++stats_.quarantined;
    if (!q_.MaybeFlush()) return IoError("cannot write the quarantine stream");
    return Status::Ok();
  }

  Error TooLong() const {
    return Error(ErrorCode::kTooLarge, "record longer than " + limit_ + " " + std::to_string(max_) + "; not kept");
  }

  // ---- JSON Lines ----

  Status JsonLines() {
    uint64_t line = 0;
    size_t searched = 0;  // bytes of pending() known to hold no '\n'
    bool skipping = false;
    for (;;) {
      std::string_view data = reader_.pending();
      const char* nl = static_cast<const char*>(std::memchr(data.data() + searched, '\n', data.size() - searched));
      if (nl == nullptr) {
        if (skipping) {
          reader_.DropAll();
        } else if (data.size() > max_ + 1) {
          ++line;
          ++stats_.records;
          if (Status st = Refuse(line, TooLong(), nullptr); !st.ok()) return st;
          skipping = true;
          reader_.DropAll();
        } else if (reader_.eof()) {
          if (!data.empty()) {
            ++line;
            if (Status st = JsonLine(line, data, false); !st.ok()) return st;
            reader_.Consume(data.size());
          }
          return Status::Ok();
        }
        searched = reader_.pending().size();
        if (reader_.eof()) return Status::Ok();
        if (Status st = reader_.Fill(); !st.ok()) return st;
        continue;
      }
      const size_t len = static_cast<size_t>(nl - data.data());
      if (skipping) {
        skipping = false;
      } else {
        ++line;
        if (len > max_ + 1) {
          ++stats_.records;
          if (Status st = Refuse(line, TooLong(), nullptr); !st.ok()) return st;
        } else if (Status st = JsonLine(line, data.substr(0, len), true); !st.ok()) {
          return st;
        }
      }
      reader_.Consume(len + 1);
      searched = 0;
    }
  }

  Status JsonLine(uint64_t line, std::string_view text, bool had_newline) {
    auto [rec, term] = SplitTerminator(text, had_newline);
    std::string& o = out_.buf();
    if (IsBlank(rec)) {
      ++stats_.blank_lines;
      o.append(text);
      if (had_newline) o.push_back('\n');
      return out_.MaybeFlush() ? Status::Ok() : Status(IoError("cannot write the output"));
    }
    ++stats_.records;
    if (rec.size() > max_) return Refuse(line, TooLong(), nullptr);
    findings_.clear();
    applied_.clear();
    if (Status st = eng_.MaskValue(route_, topic_, rec, &masked_, &findings_, &applied_); !st.ok())
      return Refuse(line, st.error(), &rec);
    CountFindings(findings_);
    if (stats_.rule_values.empty()) stats_.rule_values.resize(route_.route->rules.size());
    for (int32_t id : applied_)
      if (id >= 0 && static_cast<size_t>(id) < stats_.rule_values.size()) ++stats_.rule_values[static_cast<size_t>(id)];
    o.append(masked_);
    o.append(term);
    ++stats_.masked;
    return out_.MaybeFlush() ? Status::Ok() : Status(IoError("cannot write the output"));
  }

  // ---- CSV ----

  struct Field {
    size_t begin, end;  // raw bytes, with quotes if quoted
    bool quoted;
  };
  enum class Parse { kOk, kNeedMore, kBad };
  // What NextRecord read: a row (fields_ filled), a row that is not valid
  // CSV (kept raw), or one longer than max_ (not kept).
  enum class Row { kOk, kBad, kTooLarge };

  static constexpr const char* kBadQuoting = "bad quoting, or a CR in an unquoted field";
  static constexpr const char* kUnclosedQuote = "a quoted field does not close";

  // Follows a row as a lenient reader (Python's csv, pandas) reads it: a
  // quote opens a quoted field only as a field's first byte and is text
  // anywhere else, text after a closing quote continues the field, and a CR
  // or LF outside quotes ends the row (a lone CR too, as many readers take
  // it); and at once as such a reader that skips blanks at a field's start
  // (Python's skipinitialspace, Go's TrimLeadingSpace: ` "memo…` opens a
  // quoted field there; found by review: a memo's lines after `, "` were
  // read as rows, an RRN of its text in a kept column). A refused row
  // (too_large, invalid_csv) is skipped to the end of the line where it went
  // wrong; if that line end is inside a quoted field for either reader, what
  // follows may be that field's text, not rows.
  class QuoteTracker {
   public:
    explicit QuoteTracker(char delimiter) : d_(delimiter) {}
    void Feed(std::string_view s) {
      for (char c : s) {
        Step(&plain_, c, false);
        Step(&trimming_, c, true);
      }
    }
    [[nodiscard]] bool in_quotes() const { return plain_ == State::kQuoted || trimming_ == State::kQuoted; }

   private:
    enum class State { kStart, kField, kQuoted, kQuoteInQuoted };
    void Step(State* state, char c, bool skip_blanks) const {
      switch (*state) {
        case State::kQuoted:
          if (c == '"') *state = State::kQuoteInQuoted;
          break;
        case State::kStart:
          if (c == '"') {
            *state = State::kQuoted;
            break;
          }
          if (skip_blanks && (c == ' ' || c == '\t') && c != d_) break;
          [[fallthrough]];
        case State::kField:
        case State::kQuoteInQuoted:
          if (c == d_ || c == '\r' || c == '\n')
            *state = State::kStart;
          else if (*state == State::kQuoteInQuoted && c == '"')
            *state = State::kQuoted;  // "" inside quotes
          else
            *state = State::kField;
          break;
      }
    }
    char d_;
    State plain_ = State::kStart;
    State trimming_ = State::kStart;
  };

  static constexpr size_t kNoField = static_cast<size_t>(-1);
  // The first unquoted field of the parsed row but the last that ends with
  // an odd number of backslashes (an escaped one, `a\\\\`, is none) where it
  // and the next field are both read (scanned or ruled; a kept or dropped
  // one is not split text the scan could miss: `C:\\temp\\` there passes),
  // or kNoField.
  [[nodiscard]] size_t BackslashBeforeDelimiter(std::string_view rec) const {
    for (size_t c = 0; c + 1 < fields_.size(); ++c) {
      if (fields_[c].quoted || !plan_.reads(c) || !plan_.reads(c + 1)) continue;
      size_t n = 0;
      while (fields_[c].end - n > fields_[c].begin && rec[fields_[c].end - n - 1] == '\\') ++n;
      if (n % 2 == 1) return c;
    }
    return kNoField;
  }

  // A refused row whose skip would resume inside a quoted field: the run
  // fails, naming the line the row starts on (never its content).
  Error OpenQuoteAtResume(uint64_t line, bool too_large) const {
    return Error(ErrorCode::kInvalidCsv,
                 "line " + std::to_string(line) +
                     (too_large ? ": a quoted field spans line breaks and does not close within " + limit_ + " " +
                                      std::to_string(max_) +
                                      ", so where its row ends cannot be told; raise the limit for a longer field (or "
                                      "fix the quoting)"
                                : ": the row is not valid CSV and a quoted field in it spans line breaks, so where "
                                  "its row ends cannot be told; fix the quoting"));
  }

  // Parses one record at the start of `data`. On kOk, *consumed covers the
  // record and its line break and *term is the line break. On kBad,
  // *consumed reaches past the line break that ends the bad row (kNeedMore
  // if that is not in `data` yet) and bad_why_ says why. On kNeedMore from
  // inside a quoted field, open_quote_ is where that field opened.
  //
  // RFC 4180: a quote opens a quoted field only as the field's first byte; a
  // quote anywhere else in an unquoted field makes the row bad, and the row
  // ends at the next line break (NextRecord fails the run instead if a
  // quoted field is open there: QuoteTracker). A bad quoted field (no
  // closing quote before the end of the input, or junk after its closing
  // quote) that spans a line break is kUnclosedQuote, which fails the run.
  Parse ParseRecord(std::string_view data, bool eof, size_t* consumed, std::string_view* term) {
    fields_.clear();
    open_quote_ = std::string_view::npos;
    bad_why_ = kBadQuoting;
    const char d = opt_.csv_delimiter;
    size_t i = 0;
    const size_t n = data.size();
    auto bad_at = [&](size_t pos) {
      const void* nl = std::memchr(data.data() + pos, '\n', n - pos);
      if (nl == nullptr && !eof) return Parse::kNeedMore;
      *consumed = nl ? static_cast<size_t>(static_cast<const char*>(nl) - data.data()) + 1 : n;
      return Parse::kBad;
    };
    auto bad_quote = [&](size_t open, size_t pos) {
      const void* nl = std::memchr(data.data() + open, '\n', pos - open);
      if (nl == nullptr) return bad_at(pos);
      *consumed = static_cast<size_t>(static_cast<const char*>(nl) - data.data()) + 1;
      bad_why_ = kUnclosedQuote;
      return Parse::kBad;
    };
    for (;;) {
      size_t begin = i;
      bool quoted = i < n && data[i] == '"';
      if (quoted) {
        ++i;
        for (;;) {
          const void* q = std::memchr(data.data() + i, '"', n - i);
          if (q == nullptr) {
            if (eof) return bad_quote(begin, n);
            open_quote_ = begin;
            return Parse::kNeedMore;
          }
          i = static_cast<size_t>(static_cast<const char*>(q) - data.data()) + 1;
          if (i < n && data[i] == '"') {
            ++i;
            continue;
          }
          if (i == n && !eof) return Parse::kNeedMore;
          break;
        }
      } else {
        while (i < n && data[i] != d && data[i] != '\n') {
          if (data[i] == '"') return bad_at(i);
          // A CR in an unquoted field is only the line end's (CRLF, or the
          // input's last byte): many readers take a lone CR for a line break,
          // so a cell holding one would be read as two rows (RFC 4180 allows
          // it in quotes only).
          if (data[i] == '\r' && i + 1 < n && data[i + 1] != '\n') return bad_at(i);
          ++i;
        }
      }
      size_t end = i;
      if (i == n) {
        if (!eof) return Parse::kNeedMore;
        if (!quoted && end > begin && data[end - 1] == '\r') --end;
        fields_.push_back({begin, end, quoted});
        *consumed = n;
        *term = data.substr(end, n - end);
        return Parse::kOk;
      }
      if (data[i] == d) {
        fields_.push_back({begin, end, quoted});
        ++i;
        continue;
      }
      if (data[i] == '\r' && quoted) {  // closing quote, then CRLF
        if (i + 1 >= n && !eof) return Parse::kNeedMore;
        if (i + 1 < n && data[i + 1] == '\n') {
          fields_.push_back({begin, end, quoted});
          *consumed = i + 2;
          *term = data.substr(i, 2);
          return Parse::kOk;
        }
        if (i + 1 == n) {  // a lone CR at the very end, as after an unquoted field
          fields_.push_back({begin, end, quoted});
          *consumed = n;
          *term = data.substr(i, 1);
          return Parse::kOk;
        }
        return bad_quote(begin, i);
      }
      if (data[i] != '\n') return bad_quote(begin, i);  // junk after a closing quote
      if (!quoted && end > begin && data[end - 1] == '\r') --end;
      fields_.push_back({begin, end, quoted});
      *consumed = i + 1;
      *term = data.substr(end, i + 1 - end);
      return Parse::kOk;
    }
  }

  static std::string_view Unquoted(std::string_view raw, bool quoted, std::string* buf) {
    if (!quoted) return raw;
    std::string_view in = raw.substr(1, raw.size() - 2);
    if (in.find('"') == std::string_view::npos) return in;
    buf->clear();
    for (size_t i = 0; i < in.size(); ++i) {
      buf->push_back(in[i]);
      if (in[i] == '"') ++i;  // "" -> "
    }
    return *buf;
  }

  void AppendCell(std::string_view text, std::string* o) const {
    const char d = opt_.csv_delimiter;
    bool quote = false;
    for (char c : text)
      if (c == d || c == '"' || c == '\r' || c == '\n') {
        quote = true;
        break;
      }
    if (quote) {
      AppendQuoted(text, o);
    } else {
      o->append(text);
    }
  }

  // `text` as one quoted CSV field (RFC 4180: '"' doubled).
  static void AppendQuoted(std::string_view text, std::string* o) {
    o->push_back('"');
    for (char c : text) {
      if (c == '"') o->push_back('"');
      o->push_back(c);
    }
    o->push_back('"');
  }

  // Ends a written row. The input's line end is kept, except where it would
  // not read back as one: a lone CR (the input's last line) and any line end
  // after a row whose last byte is a CR (a raw cell ending in CR, followed
  // in the input by a column that was removed) become CRLF, so a reader
  // takes exactly that CRLF for the line end and the cells stay as written.
  static void AppendLineEnd(std::string_view term, std::string* o) {
    if (term == "\r" || (!o->empty() && o->back() == '\r' && term != "\r\n"))
      o->append("\r\n");
    else
      o->append(term);
  }

  static size_t CountLines(std::string_view s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '\n')); }

  // A bad row without the line break that ends it.
  static std::string_view WithoutLineEnd(std::string_view s) {
    if (!s.empty() && s.back() == '\n') s.remove_suffix(1);
    if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
    return s;
  }

  // Reads the next record. Returns false at the end of input. *line: the
  // line the record starts on; *why: the reason of a kBad row. No more than
  // max_ + 2 bytes of a record are parsed: a record whose bytes before its
  // line break are more than max_ is kTooLarge and skipped to the next line
  // break without being held. A quoted field that spans a line break and
  // does not close within the limit fails the run (kUnclosedQuote), and so
  // does a refused row (kTooLarge, kBad) whose skip would resume inside a
  // quoted field (QuoteTracker): the lines after it are that field's text.
  Result<bool> NextRecord(Row* state, std::string_view* rec, std::string_view* term, uint64_t* line, const char** why) {
    const size_t window = max_ + 2;
    for (;;) {
      std::string_view data = reader_.pending();
      if (data.empty() && reader_.eof()) return false;
      const bool full = data.size() >= window;
      std::string_view w = full ? data.substr(0, window) : data;
      size_t consumed = 0;
      Parse p = w.empty() ? Parse::kNeedMore : ParseRecord(w, reader_.eof() && !full, &consumed, term);
      if (p == Parse::kNeedMore && full) {
        const void* nl = open_quote_ == std::string_view::npos
                             ? nullptr
                             : std::memchr(w.data() + open_quote_, '\n', w.size() - open_quote_);
        if (nl != nullptr) {  // a quoted field that spans lines and does not close within the limit
          consumed = static_cast<size_t>(static_cast<const char*>(nl) - w.data()) + 1;
          bad_why_ = kUnclosedQuote;
          p = Parse::kBad;
        } else {
          *state = Row::kTooLarge;
          *line = next_line_;
          QuoteTracker quotes(opt_.csv_delimiter);
          quotes.Feed(w);
          next_line_ += CountLines(w);
          reader_.Consume(w.size());
          if (Status st = SkipLine(&quotes); !st.ok()) return st.error();
          if (quotes.in_quotes()) return OpenQuoteAtResume(*line, true);
          return true;
        }
      }
      if (p == Parse::kNeedMore) {
        if (reader_.eof()) return false;  // not reached: at the end of input every record parses
        // Read until the pending bytes double (or reach the window), so a
        // long record is parsed again only a few times.
        const size_t want = std::min(window, 2 * data.size() + 1);
        while (reader_.pending().size() < want && !reader_.eof())
          if (Status st = reader_.Fill(); !st.ok()) return st.error();
        continue;
      }
      // A quoted field that spans line breaks and does not close: where its
      // row ends cannot be told. Reading the lines after it as rows could
      // put the text of one column (a memo that a rule protects) into
      // another that passes; skipping them would lose rows. The file is
      // refused instead, naming the line.
      if (p == Parse::kBad && bad_why_ == kUnclosedQuote)
        return Error(ErrorCode::kInvalidCsv,
                     "line " + std::to_string(next_line_) +
                         ": a quoted field spans line breaks and does not close within " + limit_ + " " +
                         std::to_string(max_) +
                         " or before the end of the input, so where its row ends cannot be told; fix the quoting (or "
                         "raise the limit for a longer field)");
      // A bad row ends at the line break after what made it bad; if a quoted
      // field that opened in it is still open there, the lines after it are
      // that field's text.
      if (p == Parse::kBad && consumed > 0 && w[consumed - 1] == '\n') {
        QuoteTracker quotes(opt_.csv_delimiter);
        quotes.Feed(w.substr(0, consumed - 1));
        if (quotes.in_quotes()) return OpenQuoteAtResume(next_line_, consumed - 1 > max_);
      }
      *line = next_line_;
      *rec = p == Parse::kOk ? w.substr(0, consumed - term->size()) : WithoutLineEnd(w.substr(0, consumed));
      *state = p == Parse::kOk ? Row::kOk : Row::kBad;
      *why = bad_why_;
      if (rec->size() > max_) *state = Row::kTooLarge;
      next_line_ += CountLines(w.substr(0, consumed));
      reader_.Consume(consumed);
      return true;
    }
  }

  // Skips to the next line break (past it), without holding what it skips;
  // `quotes` follows the bytes skipped before it.
  Status SkipLine(QuoteTracker* quotes) {
    for (;;) {
      std::string_view data = reader_.pending();
      const void* nl = std::memchr(data.data(), '\n', data.size());
      if (nl != nullptr) {
        const size_t len = static_cast<size_t>(static_cast<const char*>(nl) - data.data());
        quotes->Feed(data.substr(0, len));
        reader_.Consume(len + 1);
        ++next_line_;
        return Status::Ok();
      }
      quotes->Feed(data);
      reader_.DropAll();
      if (reader_.eof()) return Status::Ok();
      if (Status st = reader_.Fill(); !st.ok()) return st;
    }
  }

  Status Csv() {
    const char d = opt_.csv_delimiter;
    // Header: the first non-blank record.
    std::vector<std::string> names;
    std::string& o = out_.buf();
    // A UTF-8 byte order mark before it (Excel's "CSV UTF-8") is no part of
    // the first column's name; the output keeps it.
    while (reader_.pending().size() < 3 && !reader_.eof()) {
      if (Status st = reader_.Fill(); !st.ok()) return st;
    }
    const bool bom = reader_.pending().starts_with("\xEF\xBB\xBF");
    if (bom) reader_.Consume(3);
    // The mark goes before the blank lines written before the header, which
    // are held until the header is read unless they fill a block.
    bool bom_written = false;
    bool blank_lines = false;  // written before the header
    auto write_bom = [&] {
      if (bom && !bom_written) o.insert(0, "\xEF\xBB\xBF");
      bom_written = true;
    };
    for (;;) {
      Row state = Row::kOk;
      std::string_view rec, term;
      uint64_t line = 0;
      const char* why = nullptr;
      auto more = NextRecord(&state, &rec, &term, &line, &why);
      if (!more.ok()) return more.error();
      if (!*more) {  // empty input: still check the rules
        Status st = PlanCsv({});
        if (st.ok()) write_bom();
        return st;
      }
      if (state == Row::kTooLarge)
        return Error(ErrorCode::kTooLarge, "line " + std::to_string(line) + ": the header row is longer than " +
                                               limit_ + " " + std::to_string(max_));
      if (state != Row::kOk)
        return Error(ErrorCode::kInvalidCsv, "line " + std::to_string(line) + ": the header row is not valid CSV");
      if (fields_.size() == 1 && !fields_[0].quoted && IsBlank(rec)) {
        blank_lines = true;
        o.append(rec);
        o.append(term);
        if (o.size() >= kBlock) {
          write_bom();
          if (!out_.Flush()) return IoError("cannot write the output");
        }
        continue;
      }
      if (!codec::IsValidUtf8(rec))
        return Error(ErrorCode::kInvalidUtf8, "line " + std::to_string(line) + ": the header row is not valid UTF-8");
      std::string buf;
      for (const Field& f : fields_) names.emplace_back(Unquoted(rec.substr(f.begin, f.end - f.begin), f.quoted, &buf));
      if (Status st = PlanCsv(names); !st.ok()) return st;
      write_bom();
      // The header, without dropped columns. A first column whose name
      // starts with U+FEFF (its bytes are a byte order mark's) is quoted
      // when it would start the output: unquoted, a reader would take it
      // for the mark and read another name (found by fuzz_csv: a dropped
      // first column left such a name first).
      bool first = true;
      for (size_t c = 0; c < fields_.size(); ++c) {
        if (!plan_.kept(c)) continue;
        if (!first) o.push_back(d);
        const std::string_view raw = rec.substr(fields_[c].begin, fields_[c].end - fields_[c].begin);
        if (first && !bom && !blank_lines && !fields_[c].quoted && raw.starts_with("\xEF\xBB\xBF")) {
          AppendQuoted(raw, &o);  // unquoted, so the raw bytes are its value
        } else {
          o.append(raw);
        }
        first = false;
      }
      AppendLineEnd(term, &o);
      break;
    }
    for (;;) {
      Row state = Row::kOk;
      std::string_view rec, term;
      uint64_t line = 0;
      const char* why = nullptr;
      auto more = NextRecord(&state, &rec, &term, &line, &why);
      if (!more.ok()) return more.error();
      if (!*more) return Status::Ok();
      if (state == Row::kTooLarge) {
        ++stats_.records;
        if (Status st = Refuse(line, TooLong(), nullptr); !st.ok()) return st;
        continue;
      }
      if (state == Row::kBad) {
        ++stats_.records;
        if (Status st = Refuse(line, Error(ErrorCode::kInvalidCsv, why), &rec); !st.ok()) return st;
        continue;
      }
      if (fields_.size() == 1 && !fields_[0].quoted && IsBlank(rec)) {
        o.append(rec);
        o.append(term);
        if (!out_.MaybeFlush()) return IoError("cannot write the output");
        continue;
      }
      ++stats_.records;
      if (fields_.size() != names.size()) {
        Error e(ErrorCode::kFieldCount,
                std::to_string(fields_.size()) + " fields, the header has " + std::to_string(names.size()));
        if (Status st = Refuse(line, e, &rec); !st.ok()) return st;
        continue;
      }
      if (!codec::IsValidUtf8(rec)) {
        if (Status st = Refuse(line, Error(ErrorCode::kInvalidUtf8, "invalid UTF-8"), &rec); !st.ok()) return st;
        continue;
      }
      // An unquoted field that ends with a backslash before the delimiter:
      // readers with an escape character (Hive's ESCAPED BY '\\', MySQL's
      // LOAD DATA) read it and the next field as one, which no cell holds
      // (found by review: 900101\,1234568 in two cells passed the scan).
      if (const size_t c = BackslashBeforeDelimiter(rec); c != kNoField) {
        Error e(ErrorCode::kInvalidCsv, "field " + std::to_string(c + 1) +
                                            " ends with a backslash before the delimiter: readers with an escape "
                                            "character read it and the next field as one; quote the field");
        if (Status st = Refuse(line, e, &rec); !st.ok()) return st;
        continue;
      }
      cells_.resize(fields_.size());
      cell_bufs_.resize(fields_.size());
      for (size_t c = 0; c < fields_.size(); ++c) {
        std::string_view raw = rec.substr(fields_[c].begin, fields_[c].end - fields_[c].begin);
        cells_[c] = plan_.reads(c) ? Unquoted(raw, fields_[c].quoted, &cell_bufs_[c]) : std::string_view();
      }
      if (Status st = eng_.MaskCsvRow(route_, plan_, topic_, cells_, &csv_row_); !st.ok()) {
        if (Status q = Refuse(line, st.error(), &rec); !q.ok()) return q;
        continue;
      }
      row_.clear();
      size_t written = 0;
      for (size_t c = 0; c < fields_.size(); ++c) {
        const engine::CsvCell& cell = csv_row_.cells[c];
        if (cell.state == engine::CsvCell::State::kRemoved) continue;
        if (written++ > 0) row_.push_back(d);
        if (cell.state == engine::CsvCell::State::kText)
          AppendCell(cell.text, &row_);
        else
          row_.append(rec.substr(fields_[c].begin, fields_[c].end - fields_[c].begin));
      }
      // One cell that is empty (or only blanks) would make a blank line,
      // which readers (and this one) skip: the row would be lost. Quoted, it
      // reads back as that cell, as RFC 4180 writers write it.
      if (written == 1 && IsBlank(row_)) {
        row_.insert(0, 1, '"');
        row_.push_back('"');
      }
      CountFindings(csv_row_.findings);
      o.append(row_);
      AppendLineEnd(term, &o);
      ++stats_.masked;
      if (!out_.MaybeFlush()) return IoError("cannot write the output");
    }
  }

  // Adds one written record's findings to the stats (an unlisted field
  // counts once per record and detector).
  void CountFindings(const std::vector<engine::Finding>& findings) {
    if (findings.empty()) return;
    std::set<std::pair<std::string, std::string>> seen;
    for (const engine::Finding& f : findings) {
      if (!f.unlisted) {
        ++stats_.pii_scanned;
        continue;
      }
      std::pair<std::string, std::string> k{f.field, std::string(f.detector)};
      if (seen.insert(k).second) ++stats_.unlisted_pii[k];
    }
  }

  // Compiles the header row against the route; errors before any row is
  // written.
  Status PlanCsv(const std::vector<std::string>& names) {
    auto plan = eng_.PlanCsv(route_, names);
    if (!plan.ok()) return plan.error();
    plan_ = std::move(plan).value();
    // A header whose every column the policy removes would be written as
    // empty lines, which CSV readers skip: the rows would be lost downstream.
    bool any_kept = names.empty();
    for (size_t c = 0; c < names.size() && !any_kept; ++c) any_kept = plan_.kept(c);
    if (!any_kept)
      return Error(ErrorCode::kInvalidRule,
                   "the route removes every column of the header row: the output would have no columns");
    return Status::Ok();
  }

 private:
  const engine::Engine& eng_;
  const engine::RouteRef& route_;
  std::string topic_;
  Reader reader_;
  Writer out_;
  Writer q_;
  bool has_q_;
  const BatchOptions& opt_;
  size_t max_;
  std::string limit_;  // the limit's name in messages (BatchOptions::limit_name)
  BatchStats stats_;
  std::string masked_;
  std::vector<engine::Finding> findings_;
  std::vector<int32_t> applied_;  // JSON: the rules behind one record's rewritten values
  // CSV
  std::vector<Field> fields_;
  engine::CsvPlan plan_;
  std::vector<std::string_view> cells_;
  std::vector<std::string> cell_bufs_;
  engine::CsvRow csv_row_;
  std::string row_;
  uint64_t next_line_ = 1;
  size_t open_quote_ = std::string_view::npos;  // see ParseRecord
  const char* bad_why_ = kBadQuoting;
};

}  // namespace

Result<Format> FormatForPath(std::string_view path) {
  size_t dot = path.rfind('.');
  size_t slash = path.find_last_of("/\\");
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash))
    return Error(ErrorCode::kUnknownFormat, "cannot tell the format from a file name without an extension");
  std::string ext(path.substr(dot + 1));
  for (char& c : ext) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (ext == "jsonl" || ext == "ndjson" || ext == "json") return Format::kJsonLines;
  if (ext == "csv") return Format::kCsv;
  return Error(ErrorCode::kUnknownFormat, "unknown file extension (expected .jsonl, .ndjson, .json or .csv)");
}

Result<BatchStats> MaskStream(const engine::Engine& engine, const engine::RouteRef& route, std::istream& in,
                              std::ostream& out, std::ostream* quarantine, const BatchOptions& options) {
  Format format = options.format;
  if (format == Format::kAuto) {
    auto f = FormatForPath(options.file_name);
    if (!f.ok()) return f.error();
    format = *f;
  }
  const char d = options.csv_delimiter;
  if (format == Format::kCsv && (d == '"' || d == '\r' || d == '\n'))
    return Error(ErrorCode::kInvalidOption, "the CSV delimiter cannot be a quote, CR or LF");
  size_t max_record = options.max_line_bytes ? options.max_line_bytes : engine.limits().max_record_bytes;
  max_record = std::min(max_record, SIZE_MAX / 4);  // no limit, and no overflow of the sizes derived from it
  Run run(engine, route, in, out, quarantine, options, max_record);
  return run.Finish(format == Format::kCsv ? run.Csv() : run.JsonLines());
}

namespace {

// Removes a file already at `path` (a stale .partial, or a symbolic link put
// there: the link, not what it names) and creates it anew, exclusively and
// not through a symbolic link, with `mode` (less the umask); with `exact`,
// fchmod-ed to `mode` on the open descriptor.
Result<CreatedFile> CreateFresh(const std::string& path, mode_t mode, bool exact) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return Error(ErrorCode::kIoError, "cannot remove the stale " + path + ": " + std::strerror(errno));
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) return Error(ErrorCode::kIoError, "cannot create " + path + ": " + std::strerror(errno));
  CreatedFile file(fd);
  if (exact && ::fchmod(fd, mode) != 0) {
    Error e(ErrorCode::kIoError, "cannot chmod " + path + ": " + std::strerror(errno));
    ::unlink(path.c_str());
    return e;
  }
  return file;
}

}  // namespace

CreatedFile::~CreatedFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::string CreatedFile::WritePath() const {
  return "/proc/self/fd/" + std::to_string(fd_);
}

Result<CreatedFile> CreatePrivateFile(const std::string& path) {
  return CreateFresh(path, 0600, true);
}

Result<CreatedFile> CreateFreshFile(const std::string& path) {
  return CreateFresh(path, 0666, false);
}

}  // namespace maskproxy::batch
