// `maskproxy`: the main help and the dispatch to one command per file
// (commands.h).
#include "app/cli.h"

#include <sys/prctl.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
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
  maskproxy keys rotate --keys FILE [--config C] NAME...
                                           add and activate a new version of each key
  maskproxy mask --policy FILE --keys FILE --route NAME [--in F] [--out F] [--quarantine F]
                                           mask a JSON Lines or CSV file (batch mode)
  maskproxy reveal --admin URL --cert F --key F --ca F --route NAME --field PATH
                   --ticket ID --reason PURPOSE [--keys-header H | --key-version N] [VALUE...]
                                           reverse encrypted values through the proxy's reveal
                                           service (mTLS, roles); --offline --config C: break-glass
                                           in this process; every request is audited
  maskproxy audit verify [--key-file F | --config C] [--allow-open] [FILE]
                                           verify an audit trail (0 intact, 1 tampered, 3 open/truncated)
  maskproxy --help | --version

Exit status: 0 success, 1 runtime failure (e.g. fenced by another instance),
2 usage or configuration error.
)";

}  // namespace

bool DisableCoreDumps() {
  if (const char* allow = std::getenv("MASKPROXY_ALLOW_CORE_DUMPS"); allow && std::string_view(allow) == "1")
    return true;
  return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0;
}

int Main(int argc, char** argv) {
  if (!DisableCoreDumps()) {
    std::fputs("maskproxy: cannot disable core dumps (prctl PR_SET_DUMPABLE); refusing to hold keys\n", stderr);
    return kExitFailure;
  }
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::fputs(kMainHelp, stderr);
    return kExitUsage;
  }
  // A file at its size limit (RLIMIT_FSIZE, e.g. a quota) must be a write
  // error (EFBIG) that the audit trail reports and the pipeline fails closed
  // on, not a signal that kills the process mid-transaction, or between a
  // key rotation and its audit entry (every command).
  std::signal(SIGXFSZ, SIG_IGN);
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
  if (cmd == "audit") return CmdAudit(rest);
  return Usage("unknown command" + ShownCommand(cmd));
}

}  // namespace maskproxy::app
