// `maskproxy`: the main help and the dispatch to one command per file
// (commands.h).
#include "app/cli.h"

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "app/commands.h"
#include "app/flags.h"

namespace maskproxy::app {
namespace {

const char kMainHelp[] = R"(maskproxy - Kafka PII masking proxy

Consumes raw Kafka topics, protects personal data in JSON record values, keys
and headers as a YAML policy says (tokenize, encrypt, encrypt_deterministic,
fpe, mask, generalize, redact), and produces the result to analytics topics in
Kafka transactions (exactly once). Records that cannot be masked go to the
route's dead-letter topic, never to the destination.

Usage:
  maskproxy run --config FILE [options]    run the proxy (see: maskproxy run --help)
  maskproxy policy check --keys FILE POLICY...
                                           validate policy files against a keyring
  maskproxy policy test --keys FILE POLICY...
                                           run the tests embedded in policy files
  maskproxy keys generate --out FILE NAME...
                                           create a keyring with a new 256-bit key per NAME
  maskproxy keys rotate --keys FILE NAME...
                                           add and activate a new version of each key
  maskproxy mask --policy FILE --keys FILE --route NAME [--in F] [--out F] [--quarantine F]
                                           mask a JSON Lines or CSV file (batch mode)
  maskproxy reveal --policy FILE --keys FILE --route NAME --field PATH --reason TEXT
                   --audit-log FILE [--keys-header H | --key-version N] [VALUE...]
                                           reverse encrypted values; every use is audited
  maskproxy --help | --version

Exit status: 0 success, 1 runtime failure (e.g. fenced by another instance),
2 usage or configuration error.
)";

}  // namespace

// The version of key `key_name` in a maskproxy.keys header value
// ("account:1,contact:1,phone:2", as the proxy writes it). Errors name no
// value: the header holds key names and versions only.
Result<uint32_t> VersionInKeysHeader(std::string_view header, std::string_view key_name) {
  std::optional<uint32_t> found;
  size_t b = 0;
  while (b <= header.size()) {
    size_t e = header.find(',', b);
    if (e == std::string_view::npos) e = header.size();
    std::string_view item = header.substr(b, e - b);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    const size_t colon = item.rfind(':');
    if (colon == std::string_view::npos || colon == 0)
      return Error("invalid_argument", "expected name:version,... (the record's maskproxy.keys header)");
    std::string_view ver = item.substr(colon + 1);
    if (ver.empty() || ver.size() > 9 || ver.find_first_not_of("0123456789") != std::string_view::npos ||
        std::stoul(std::string(ver)) == 0)
      return Error("invalid_argument",
                   "the version of '" + std::string(item.substr(0, colon)) + "' is not a positive number");
    if (item.substr(0, colon) == key_name) {
      const auto v = static_cast<uint32_t>(std::stoul(std::string(ver)));
      if (found && *found != v) return Error("invalid_argument", "key '" + std::string(key_name) + "' is named twice");
      found = v;
    }
    b = e + 1;
  }
  if (!found)
    return Error("invalid_argument", "names no version of key '" + std::string(key_name) +
                                         "' (the rule's key): is it the header of the record the value came from?");
  return *found;
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::fputs(kMainHelp, stderr);
    return kExitUsage;
  }
  const std::string cmd = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::fputs(kMainHelp, stdout);
    return kExitOk;
  }
  if (cmd == "--version") {
    std::printf("maskproxy %s\n", MASKPROXY_VERSION);
    return kExitOk;
  }
  if (cmd == "run") return CmdRun(rest);
  if (cmd == "keys") return CmdKeys(rest);
  if (cmd == "policy") return CmdPolicy(rest);
  if (cmd == "reveal") return CmdReveal(rest);
  if (cmd == "mask") return CmdMask(rest);
  return Usage("unknown command '" + cmd + "'");
}

}  // namespace maskproxy::app
