// maskproxy keys generate|rotate: keyring files.
#include <cstdio>
#include <string>
#include <vector>

#include "app/commands.h"
#include "app/flags.h"
#include "crypto/keyring.h"

namespace maskproxy::app {
namespace {

const char kKeysHelp[] = R"(maskproxy keys generate --out FILE NAME...
maskproxy keys rotate --keys FILE NAME...

generate  creates FILE (mode 0600; refuses to overwrite) with a new random
          256-bit key, version 1, for each NAME.
rotate    adds a new random version to each NAME in FILE and makes it the
          active one; older versions stay so that existing outputs can still
          be revealed. The file is replaced atomically and stays mode 0600.
Key material is never printed.
)";

}  // namespace

int CmdKeys(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::fputs(kKeysHelp, stdout);
    return args.empty() ? kExitUsage : kExitOk;
  }
  const std::string& sub = args[0];
  if (sub != "generate" && sub != "rotate") return Usage("keys: unknown command '" + sub + "'");
  std::string file;
  std::vector<std::string> names;
  bool help = false;
  std::string err = ParseFlags("keys " + sub, std::vector<std::string>(args.begin() + 1, args.end()),
                               {{{"--out", &file}, {"--keys", &file}}, {}}, &names, &help);
  if (!err.empty()) return Usage(err);
  if (help) {
    std::fputs(kKeysHelp, stdout);
    return kExitOk;
  }
  if (sub == "generate") {
    if (file.empty()) return Usage("keys generate: --out FILE is required");
    if (names.empty()) return Usage("keys generate: name at least one key");
    if (Status s = crypto::GenerateKeyringFile(file, names); !s.ok()) return Fail(s.error(), kExitFailure);
    std::fprintf(stderr, "maskproxy: wrote %zu key(s) to %s (mode 0600)\n", names.size(), file.c_str());
    return kExitOk;
  }
  if (file.empty()) return Usage("keys rotate: --keys FILE is required");
  if (names.empty()) return Usage("keys rotate: name at least one key");
  auto rotated = crypto::RotateKeyringFile(file, names);
  if (!rotated.ok()) return Fail(rotated.error(), kExitFailure);
  for (const auto& [name, ver] : *rotated)
    std::fprintf(stderr, "maskproxy: key %s: version %u is now active (older versions still decrypt)\n", name.c_str(),
                 ver);
  std::fprintf(stderr, "maskproxy: restart or reload the proxy to start using the new versions\n");
  return kExitOk;
}

}  // namespace maskproxy::app
