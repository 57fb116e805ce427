#include "app/flags.h"

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace maskproxy::app {

int Usage(const std::string& msg) {
  std::fprintf(stderr, "maskproxy: %s\nRun 'maskproxy --help' for usage.\n", msg.c_str());
  return kExitUsage;
}

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
    if (!positional || (a.size() > 1 && a[0] == '-')) return cmd + ": unknown argument '" + a + "'";
    positional->push_back(a);
  }
  return "";
}

}  // namespace maskproxy::app
