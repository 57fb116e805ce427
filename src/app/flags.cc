#include "app/flags.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace maskproxy::app {

int Usage(const std::string& msg) {
  std::fprintf(stderr, "maskproxy: %s\nRun 'maskproxy --help' for usage.\n", msg.c_str());
  return kExitUsage;
}

namespace {

// Edit distance (insertions, deletions, substitutions, adjacent swaps) of
// two short names, capped: anything over `cap` is cap + 1.
size_t Distance(const std::string& a, const std::string& b, size_t cap) {
  if (a.size() > b.size() + cap || b.size() > a.size() + cap) return cap + 1;
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return std::min(d[a.size()][b.size()], cap + 1);
}

// What to say after "unknown argument '--x'": "--name=value" for an option
// that takes its value after a space, else the closest known name (at most
// two edits away), else nothing.
std::string Hint(const std::string& a, const Flags& flags) {
  std::vector<std::string> names;
  for (const auto& [name, target] : flags.values) names.push_back(name);
  for (const auto& [name, target] : flags.switches) names.push_back(name);
  names.emplace_back("--help");
  if (const size_t eq = a.find('='); eq != std::string::npos) {
    const std::string name = a.substr(0, eq);
    for (const auto& [known, target] : flags.values)
      if (known == name) return ": write " + name + " VALUE (a space, not '=')";
  }
  std::string best;
  size_t best_distance = 3;
  for (const auto& n : names) {
    const size_t dist = Distance(a, n, 2);
    if (dist < best_distance) {
      best = n;
      best_distance = dist;
    }
  }
  return best.empty() ? "" : "; did you mean " + best + "?";
}

}  // namespace

int Fail(const Error& e, int code) {
  std::fprintf(stderr, "maskproxy: %s\n", e.message.c_str());
  return code;
}

std::string ParseFlags(const std::string& cmd, const std::vector<std::string>& args, const Flags& flags,
                       std::vector<std::string>* positional, bool* help) {
  *help = false;
  // An option given twice is refused: the last one winning silently (a
  // strict policy named first, a lax one after it) is never what was meant.
  // No command's option takes several values (lists are positional). Two
  // names of one option (keys' --out and --keys) count as one.
  std::vector<std::pair<const void*, std::string>> given;  // target, the name it was given as
  auto twice = [&](const void* target, const std::string& name) -> std::string {
    for (const auto& [t, first] : given)
      if (t == target)
        return cmd + ": " + name + (first == name ? " is given twice" : " and " + first + " are both given");
    given.emplace_back(target, name);
    return "";
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      *help = true;
      return "";
    }
    bool matched = false;
    for (const auto& [name, target] : flags.values) {
      if (a != name) continue;
      if (i + 1 >= args.size()) return cmd + ": " + a + " needs a value";
      if (std::string e = twice(target, a); !e.empty()) return e + " (it takes one value)";
      *target = args[++i];
      matched = true;
    }
    for (const auto& [name, target] : flags.switches) {
      if (a != name) continue;
      if (std::string e = twice(target, a); !e.empty()) return e;
      *target = true;
      matched = true;
    }
    if (matched) continue;
    const size_t name_start = a.find_first_not_of('-');
    const bool dashed = a.size() > 1 && a[0] == '-';
    // An option's name starts with a letter; "-9001011234567" is a value.
    const bool named =
        dashed && name_start != std::string::npos && std::isalpha(static_cast<unsigned char>(a[name_start]));
    if (named) {
      // A value is never echoed: "--name=value" is shown by its name.
      const size_t eq = a.find('=');
      const std::string shown = eq != std::string::npos ? a.substr(0, eq) + "=..." : a;
      return cmd + ": unknown argument '" + shown + "'" + Hint(a, flags);
    }
    if (!positional) {
      // Not an option: it may be a value meant for one (a file name, or a
      // value pasted where it does not belong), so it is named by its
      // position, never shown.
      return cmd + ": argument " + std::to_string(i + 1) + " is not an option, and " + cmd +
             " takes no other arguments (not shown: it may be a value)";
    }
    if (dashed)
      return cmd + ": argument " + std::to_string(i + 1) +
             " starts with '-' but is not an option (not shown: it may be a value)";
    positional->push_back(a);
  }
  return "";
}

std::string ShownCommand(const std::string& word) {
  bool reads_as_name = !word.empty() && word.size() <= 32 && std::isalpha(static_cast<unsigned char>(word[0]));
  for (const char c : word)
    reads_as_name = reads_as_name && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_');
  return reads_as_name ? " '" + word + "'" : std::string(" (not shown: it may be a value)");
}

}  // namespace maskproxy::app
