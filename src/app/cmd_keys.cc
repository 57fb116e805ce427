// maskproxy keys generate|rotate: keyring files.
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/audit_events.h"
#include "app/commands.h"
#include "app/config.h"
#include "app/flags.h"
#include "app/kms_setup.h"
#include "audit/trail.h"
#include "crypto/keyring.h"

namespace maskproxy::app {
namespace {

// A refused name (bad characters, given twice) is a usage error, as --help
// says (exit 2); a refusal of the file or the KMS is a failure (exit 1).
int ExitFor(const Error& e) {
  return e.code == ErrorCode::kUsage ? kExitUsage : kExitFailure;
}

const char kKeysHelp[] = R"(maskproxy keys generate --out FILE [--kms transit:KEK] [--config FILE] NAME...
maskproxy keys rotate --keys FILE [--config FILE] NAME...

generate  creates FILE (mode 0600; refuses to overwrite) with a new random
          256-bit key, version 1, for each NAME. With --kms transit:KEK each
          key is a data key made and wrapped by the KMS's Transit key KEK:
          only the wrapped form is written ({kms: transit:KEK, wrapped:
          "vault:v1:..."}); the clear key never reaches the disk.
rotate    adds a new version to each NAME in FILE and makes it the active
          one; older versions stay so that existing outputs can still be
          revealed. For a KMS-wrapped key it rotates the Transit key KEK,
          rewraps every version in FILE wrapped by KEK to its new version
          and adds a new wrapped data key to NAME. The file is replaced atomically and stays 0600.
With --config FILE whose audit: section names a trail, a rotation is
recorded there (keys_rotated: file, names, new versions); the trail must be
writable or nothing is rotated, and the anchor of its final checkpoint is
printed ("audit anchor: seq=N chain=HEX", also to syslog; see audit verify
--expect). A running proxy holds its trail: rotate
without --config there, and the proxy's reload records the new versions
(keys_loaded).
The KMS: the kms: section of --config FILE, else the environment: BAO_ADDR
(or VAULT_ADDR), BAO_TOKEN (or VAULT_TOKEN), BAO_CACERT (optional).
Key material is never printed.
)";

// The KMS of --config's kms: section, else of the environment; null if neither.
Result<std::shared_ptr<kms::TransitKeyring>> CliKms(const std::string& config_path) {
  if (config_path.empty()) return KmsFromEnv();
  auto cfg = Config::Load(config_path);
  if (!cfg.ok()) return cfg.error();
  // A config without kms: (e.g. one given for its audit trail): the environment's.
  if (cfg->kms.address.empty()) return KmsFromEnv();
  return KmsFromConfig(cfg->kms);
}

}  // namespace

int CmdKeys(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::fputs(kKeysHelp, stdout);
    return args.empty() ? kExitUsage : kExitOk;
  }
  const std::string& sub = args[0];
  if (sub != "generate" && sub != "rotate") return Usage("keys: unknown command" + ShownCommand(sub));
  std::string file, kek, config_path;
  std::vector<std::string> names;
  bool help = false;
  std::string err = ParseFlags("keys " + sub, std::vector<std::string>(args.begin() + 1, args.end()),
                               {{{"--out", &file}, {"--keys", &file}, {"--kms", &kek}, {"--config", &config_path}}, {}},
                               &names, &help);
  if (!err.empty()) return Usage(err);
  if (help) {
    std::fputs(kKeysHelp, stdout);
    return kExitOk;
  }
  if (sub == "generate") {
    if (file.empty()) return Usage("keys generate: --out FILE is required");
    if (names.empty()) return Usage("keys generate: name at least one key");
    if (kek.empty()) {
      if (Status s = crypto::GenerateKeyringFile(file, names); !s.ok()) return Fail(s.error(), ExitFor(s.error()));
      std::fprintf(stderr, "maskproxy: wrote %zu key(s) to %s (mode 0600)\n", names.size(), file.c_str());
      return kExitOk;
    }
    if (kms::TransitKeyName(kek).empty()) return Usage("keys generate: --kms takes transit:NAME");
    auto kms = CliKms(config_path);
    if (!kms.ok()) return Fail(kms.error(), kExitUsage);
    if (!*kms)
      return Usage("keys generate --kms: set BAO_ADDR and BAO_TOKEN, or give --config FILE with a kms: section");
    if (Status s = crypto::GenerateKeyringFile(file, names, kms->get(), kek); !s.ok())
      return Fail(s.error(), ExitFor(s.error()));
    std::fprintf(stderr, "maskproxy: wrote %zu key(s) wrapped by %s at %s to %s (mode 0600; no clear key)\n",
                 names.size(), kek.c_str(), (*kms)->client().address().c_str(), file.c_str());
    return kExitOk;
  }
  if (!kek.empty()) return Usage("keys rotate: --kms is for generate; the file names each key's KMS key");
  if (file.empty()) return Usage("keys rotate: --keys FILE is required");
  if (names.empty()) return Usage("keys rotate: name at least one key");
  // The trail opens before anything is rotated: no unrecorded rotation.
  std::shared_ptr<audit::FileTrail> trail;
  // Closed on every return below, its final checkpoint's anchor reported.
  std::optional<ClosingTrail> closing;
  if (!config_path.empty()) {
    auto cfg = Config::Load(config_path);
    if (!cfg.ok()) return Fail(cfg.error(), kExitUsage);
    if (cfg->audit.file.empty()) return Usage("keys rotate: " + config_path + " has no audit: section");
    auto opened = audit::FileTrail::Open({cfg->audit.file, cfg->audit.key_file, cfg->audit.checkpoint_every});
    if (!opened.ok()) return Fail(opened.error(), kExitFailure);
    trail = std::move(*opened);
    closing.emplace(trail);
  }
  // The KMS is needed only for wrapped keys: without one, rotating such a
  // key fails naming its KMS key, and plain keys rotate as before.
  auto kms = CliKms(config_path);
  if (!kms.ok()) return Fail(kms.error(), kExitUsage);
  auto rotated = crypto::RotateKeyringFile(file, names, kms->get());
  if (!rotated.ok()) return Fail(rotated.error(), ExitFor(rotated.error()));
  if (trail) {
    std::vector<std::string> versions;
    for (const auto& [name, ver] : *rotated) versions.push_back(name + "@" + std::to_string(ver));
    audit::Event e{.type = audit::EventType::kKeysRotated, .fields = {}};
    e.Add("file", file).Add("keys", versions).Add("uid", static_cast<int64_t>(getuid()));
    if (Status s = trail->Append(e); !s.ok()) {
      std::fprintf(stderr, "maskproxy: the keys were rotated but the audit trail could not record it\n");
      return Fail(s.error(), kExitFailure);
    }
    if (Status s = CloseTrailReportingAnchor(*trail); !s.ok()) return Fail(s.error(), kExitFailure);
  }
  for (const auto& [name, ver] : *rotated)
    std::fprintf(stderr, "maskproxy: key %s: version %u is now active (older versions still decrypt)\n", name.c_str(),
                 ver);
  std::fprintf(stderr, "maskproxy: restart or reload the proxy to start using the new versions\n");
  return kExitOk;
}

}  // namespace maskproxy::app
