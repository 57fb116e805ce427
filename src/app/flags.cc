#include "app/flags.h"

#include <cstdio>

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
      *target = args[++i];
      matched = true;
    }
    for (const auto& [name, target] : flags.switches) {
      if (a != name) continue;
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
