// Logging without PII.
//
// The logger writes one line per event to stderr: time, level, a fixed event
// name and key=value fields. Callers pass only safe fields: topic names,
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

void SetLevel(Level level);
[[nodiscard]] bool ParseLevel(std::string_view text, Level* out);
[[nodiscard]] bool Enabled(Level level);

using Field = std::pair<std::string_view, std::string>;

void Write(Level level, std::string_view event, std::initializer_list<Field> fields = {});

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
