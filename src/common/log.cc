#include "common/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

#include "common/text.h"

namespace maskproxy::log {
namespace {
std::atomic<int> g_level{static_cast<int>(Level::kInfo)};
std::atomic<int> g_format{static_cast<int>(Format::kText)};
std::mutex g_mu;

const char* Name(Level l) {
  return LevelName(l);
}

// Quote a field value if it contains spaces, quotes or control bytes.
void AppendValue(std::string& line, std::string_view v) {
  bool plain = !v.empty();
  for (unsigned char c : v) {
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c >= 0x7f) {
      plain = false;
      break;
    }
  }
  if (plain) {
    line.append(v);
    return;
  }
  line.push_back('"');
  for (unsigned char c : v) {
    if (c == '"' || c == '\\') {
      line.push_back('\\');
      line.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      line.append(buf);
    } else {
      line.push_back(static_cast<char>(c));
    }
  }
  line.push_back('"');
}
}  // namespace

const char* LevelName(Level l) {
  switch (l) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarn: return "warn";
    case Level::kError: return "error";
  }
  return "?";
}

void SetLevel(Level level) {
  g_level.store(static_cast<int>(level));
}

Level GetLevel() {
  return static_cast<Level>(g_level.load(std::memory_order_relaxed));
}

void SetFormat(Format format) {
  g_format.store(static_cast<int>(format));
}

Format GetFormat() {
  return static_cast<Format>(g_format.load(std::memory_order_relaxed));
}

bool ParseFormat(std::string_view text, Format* out) {
  if (text == "text") {
    *out = Format::kText;
    return true;
  }
  if (text == "json") {
    *out = Format::kJson;
    return true;
  }
  return false;
}

bool ParseLevel(std::string_view text, Level* out) {
  for (Level l : {Level::kDebug, Level::kInfo, Level::kWarn, Level::kError}) {
    if (text == Name(l)) {
      *out = l;
      return true;
    }
  }
  return false;
}

bool Enabled(Level level) {
  return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed);
}

std::string FormatLine(Format format, std::string_view ts, Level level, std::string_view event,
                       std::initializer_list<Field> fields) {
  std::string line;
  line.reserve(160);
  if (format == Format::kJson) {
    line.append("{\"ts\":");
    text::AppendJsonQuoted(ts, &line);
    line.append(",\"level\":\"").append(Name(level)).append("\",\"event\":");
    text::AppendJsonQuoted(event, &line);
    for (const auto& [k, v] : fields) {
      line.push_back(',');
      text::AppendJsonQuoted(k, &line);
      line.push_back(':');
      text::AppendJsonQuoted(v, &line);
    }
    line.push_back('}');
    return line;
  }
  line.append(ts).append(" ").append(Name(level)).append(" ").append(event);
  for (const auto& [k, v] : fields) {
    line.push_back(' ');
    line.append(k).push_back('=');
    AppendValue(line, v);
  }
  return line;
}

void Write(Level level, std::string_view event, std::initializer_list<Field> fields) {
  if (!Enabled(level)) return;
  auto now = std::chrono::system_clock::now();
  std::time_t secs = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char ts[96];
  std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  std::string line = FormatLine(GetFormat(), ts, level, event, fields);
  line.push_back('\n');
  std::lock_guard<std::mutex> lock(g_mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace maskproxy::log
