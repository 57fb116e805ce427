// Logging without PII.
//
// The logger writes one line per event to stderr: time, level, a fixed event
// name and key=value fields (text format), or one JSON object per line with
// the fixed keys "ts", "level", "event" first and then the fields, all
// values strings (json format, `log_format: json`). Callers pass only safe fields: topic names,
// partitions, offsets, counts, error codes, rule paths. Never a record value,
// a record key or key material. There is deliberately no API that takes a
// record and prints it.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace maskproxy::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class Format { kText = 0, kJson = 1 };

// The level and the format may change at any time from any thread (the
// admin endpoint /loglevel): both are atomics read on every call.
void SetLevel(Level level);
[[nodiscard]] Level GetLevel();
[[nodiscard]] bool ParseLevel(std::string_view text, Level* out);
[[nodiscard]] const char* LevelName(Level level);
[[nodiscard]] bool Enabled(Level level);
void SetFormat(Format format);
[[nodiscard]] Format GetFormat();
[[nodiscard]] bool ParseFormat(std::string_view text, Format* out);

using Field = std::pair<std::string_view, std::string>;

void Write(Level level, std::string_view event, std::initializer_list<Field> fields = {});

// The line Write() would print (without the newline), for a given time
// stamp and format; for tests.
[[nodiscard]] std::string FormatLine(Format format, std::string_view ts, Level level, std::string_view event,
                                     std::initializer_list<Field> fields);

inline void Debug(std::string_view e, std::initializer_list<Field> f = {}) {
  if (Enabled(Level::kDebug)) Write(Level::kDebug, e, f);
}
inline void Info(std::string_view e, std::initializer_list<Field> f = {}) {
  Write(Level::kInfo, e, f);
}
inline void Warn(std::string_view e, std::initializer_list<Field> f = {}) {
  Write(Level::kWarn, e, f);
}
inline void Error(std::string_view e, std::initializer_list<Field> f = {}) {
  Write(Level::kError, e, f);
}

}  // namespace maskproxy::log
