// maskproxy audit verify: checks an audit trail (audit/verify.h).
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "app/commands.h"
#include "app/config.h"
#include "app/flags.h"
#include "audit/verify.h"

namespace maskproxy::app {
namespace {

const char kAuditHelp[] =
    R"(maskproxy audit verify [--key-file F | --config C] [--allow-open] [--expect seq=N,chain=HEX] [FILE]

Verifies an audit trail: every entry's mac under the audit key (any version
in the key file), the seq numbers (consecutive from 1), each entry's hash of
the one before it, the checkpoints, and that the trail ends with the final
checkpoint the proxy writes when it stops. Prints a one-line summary and the
first problem, naming the entry by seq and line (never a field value):
modified (mac does not verify), deleted, reordered, inserted (a copy, a
forged line, an entry of another trail), or truncated after the last
checkpoint.

  FILE             the trail; default: audit.file of --config
  --key-file F     the audit key file (key "audit"); default: audit.key_file of --config
  --config C       the proxy's config file (its audit: section)
  --allow-open     a trail without its final checkpoint (a running proxy's)
                   is intact (exit 0) if nothing else is wrong
  --expect A       the trail must hold the checkpoint of anchor A, as a
                   writer reported it when it closed the trail ("audit
                   anchor: seq=N chain=HEX" on stderr and in syslog):
                   seq=N,chain=HEX. A trail cut before it, replaced or
                   rewritten from it on does not (exit 1). A cut right after
                   a final checkpoint verifies from the file alone: check the
                   last anchor recorded elsewhere.

Exit status: 0 intact, 1 tampered (modified, deleted, reordered, inserted,
or without the --expect checkpoint),
2 usage error or the trail / key file cannot be read, 3 open: entries after
the last checkpoint and no final checkpoint (truncated, or the proxy is still
running or crashed; see --allow-open), a partial last line (the start of
the next entry, cut short), or no entries. Text after the last entry without
a newline that is not the start of the next entry, or is a whole JSON object
that does not verify, is tampering (1).
)";

}  // namespace

int CmdAudit(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::fputs(kAuditHelp, stdout);
    return args.empty() ? kExitUsage : kExitOk;
  }
  if (args[0] != "verify") return Usage("audit: unknown command" + ShownCommand(args[0]));
  std::string key_file, config_path, expect_text;
  bool allow_open = false, help = false;
  std::vector<std::string> files;
  std::string err = ParseFlags("audit verify", std::vector<std::string>(args.begin() + 1, args.end()),
                               {{{"--key-file", &key_file}, {"--config", &config_path}, {"--expect", &expect_text}},
                                {{"--allow-open", &allow_open}}},
                               &files, &help);
  if (!err.empty()) return Usage(err);
  if (help) {
    std::fputs(kAuditHelp, stdout);
    return kExitOk;
  }
  std::optional<audit::Anchor> expect;
  if (!expect_text.empty()) {
    auto anchor = audit::ParseAnchor(expect_text);
    if (!anchor.ok()) return Usage("audit verify: --expect: " + anchor.error().message);
    expect = std::move(anchor).value();
  }
  if (files.size() > 1) return Usage("audit verify: one FILE");
  std::string file = files.empty() ? "" : files[0];
  if (!config_path.empty()) {
    auto cfg = Config::Load(config_path);
    if (!cfg.ok()) return Fail(cfg.error(), kExitUsage);
    if (cfg->audit.file.empty()) return Usage("audit verify: " + config_path + " has no audit: section");
    if (file.empty()) file = cfg->audit.file;
    if (key_file.empty()) key_file = cfg->audit.key_file;
  }
  if (file.empty()) return Usage("audit verify: name the trail FILE (or --config)");
  if (key_file.empty()) return Usage("audit verify: --key-file F (or --config) is required");
  auto report = audit::Verify(file, key_file, expect ? &*expect : nullptr);
  if (!report.ok()) return Fail(report.error(), kExitUsage);
  const int code = audit::VerifyExitCode(*report, allow_open);
  std::printf("%s: %s\n", file.c_str(), audit::Summary(*report).c_str());
  if (!report->first_problem.empty()) std::printf("%s: %s\n", file.c_str(), report->first_problem.c_str());
  return code;
}

}  // namespace maskproxy::app
