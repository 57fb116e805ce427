// maskproxy reveal: a client of the running proxy's POST /v1/reveal, and the
// offline break-glass reveal (no running proxy), both audited.
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "admin/client_ca.h"
#include "app/audit_events.h"
#include "app/commands.h"
#include "app/config.h"
#include "app/flags.h"
#include "app/kms_setup.h"
#include "app/policy_set.h"
#include "audit/trail.h"
#include "common/text.h"
#include "common/unicode.h"
#include "crypto/keyring.h"
#include "crypto/usage.h"
#include "net/http_client.h"
#include "policy/policy.h"
#include "reveal/authz.h"
#include "reveal/request.h"
#include "reveal/reveal.h"
#include "transform/action.h"

namespace maskproxy::app {
namespace {

const char kRevealHelp[] = R"(maskproxy reveal --admin https://HOST:PORT --cert FILE --key FILE --ca FILE
                 --route NAME --field PATH --ticket ID --reason PURPOSE [options] [VALUE... | -]
maskproxy reveal --offline --config FILE --ticket ID --reason PURPOSE
                 --route NAME --field PATH [--cert FILE] [options] [VALUE... | -]

Reverses encrypt, encrypt_deterministic and fpe outputs of one rule. VALUEs
come from the arguments, or one per line from standard input. Each original
value is printed on its own line (an empty line for a value that could not
be revealed; exit 1 then). If an original value holds a line break or
another control character (C0, DEL, C1, U+2028, U+2029), no value is
printed (exit 1): as plain text it could forge lines or act on the terminal.
The reveal is audited by then; ask again with --json, which prints each
value as a JSON string with those characters escaped.

By default this is a client of a running proxy's reveal service (POST
/v1/reveal on its admin listener, TLS with your client certificate). The
proxy decides: your certificate's subject must have a role whose grant
covers the route, the field and the purpose; it audits every request,
allowed or denied (subject, ticket, reason, counts, a keyed digest of each
value revealed; never a value), before it answers.

--offline is the break-glass path when no proxy runs: it loads the config's
policies and keyring itself, needs the config's audit trail (audit: file,
key_file) and writes to it before anything is printed; the operator recorded
is the subject of --cert if given (with --key, its private key, and valid
under the config's admin.tls.client_ca_file: --cert is refused when the
config names no client CA, since a self-made certificate could claim any
name), else the OS user (and $SUDO_USER, as root through sudo). --reason must be a purpose
class. Roles are not applied offline (whoever can read the keyring can
reveal); the trail is what makes it accountable, and every refusal is in it
too, a refused --cert included. It closes the trail with a final
checkpoint and prints its anchor on stderr (and to syslog): "audit anchor:
seq=N chain=HEX"; keep it elsewhere: audit verify --expect finds a trail
cut before it. Offline, the operator
also reads the audit key: keep the trail where the operator cannot rewrite
it (an append-only mount, shipped off the host, or the audit topic).

An fpe output does not name its key version, and FF1 cannot tell a wrong key
or version: it would reveal a plausible wrong value. So fpe needs the version
(--keys-header or --key-version). encrypt and encrypt_deterministic outputs
name their version (e2./e1./d1.): --key-version is refused for them (exit
2), and --keys-header is ignored.

With --json, each VALUE (argument or line of standard input) is read as
JSON text, so a string is given quoted: '"e2.contact.1...."' (a number, an
fpe output of a JSON number, unquoted); each original value is printed as
JSON text, a string escaped.

Options:
  --admin URL         the proxy's admin listener, https://HOST:PORT
  --cert FILE         your client certificate (PEM); offline: the operator
                      (with --key; verified by the config's
                      admin.tls.client_ca_file, refused without one)
  --key FILE          its private key (PEM)
  --ca FILE           the CA of the admin listener's certificate
  --offline           break-glass: no proxy, the config's keys and audit trail
  --config FILE       offline: the proxy's config file
  --route NAME        the route's name (not its source topic: see --topic)
  --field PATH        the rule's path as written in the policy (user.email,
                      $key, $header.NAME), or $scan.DETECTOR for a hit that
                      action: scan or unlisted_fields: scan protected
  --topic TOPIC       the source topic the value was masked on (encrypt binds
                      it); default: the route's source topic
  --ticket ID         purpose: the ticket (e.g. SEC-1); required
  --reason PURPOSE    purpose class: fraud, chargeback, legal_request,
                      data_subject_request, incident, support, audit; required
  --keys-header H     fpe: the value of the record's maskproxy.keys header
  --key-version N     fpe: the key version, instead of --keys-header
                      (refused for encrypt and encrypt_deterministic)
  --json              values in and out are JSON text: a string VALUE
                      quoted ('"e2...."'), a number as it is

--operator and --audit-log no longer exist: the operator is your
certificate's subject (or the OS user offline), and the audit trail is the
proxy's configured one, not a file of the caller's choosing.
)";

std::vector<std::string> ReadValues(std::vector<std::string> values) {
  if (!values.empty() && !(values.size() == 1 && values[0] == "-")) return values;
  values.clear();
  std::string line;
  char buf[65536];
  while (std::fgets(buf, sizeof buf, stdin)) {
    line += buf;
    if (!line.empty() && line.back() == '\n') {
      line.pop_back();
      if (!line.empty() && line.back() == '\r') line.pop_back();
      values.push_back(line);
      line.clear();
    }
  }
  if (!line.empty()) values.push_back(line);
  return values;
}

// JSON text with DEL, C1 controls, U+2028/U+2029 and the bidirectional
// formatting characters written as \uXXXX
// (the JSON encoder escapes only C0): the same JSON, one line that a
// terminal shows as it is.
std::string TerminalJson(std::string_view json) {
  std::string out;
  for (size_t i = 0; i < json.size();) {
    uint32_t cp = 0;
    const size_t n = unicode::DecodeUtf8(json, i, &cp);
    if (n != 0 &&
        (cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 || text::IsBidiControl(cp))) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
      out += buf;
    } else {
      out.append(json.substr(i, n ? n : 1));
    }
    i += n ? n : 1;
  }
  return out;
}

// One value per line. Plain text only when every value is one line that a
// terminal shows as it is (text::IsOneLine): a value holding a line break,
// an escape sequence or another control character could forge lines or act
// on the terminal, so then nothing is printed and --json is the way (its
// strings escape them). The reveal is in the audit trail by then.
int Print(const std::vector<std::optional<std::string>>& values, size_t failed, const std::string& first_error,
          bool json) {
  if (!json) {
    for (size_t i = 0; i < values.size(); ++i)
      if (values[i] && !text::IsOneLine(*values[i])) {
        std::fprintf(stderr,
                     "maskproxy: revealed value %zu of %zu holds a line break, a control or a bidirectional "
                     "formatting character (C0, DEL, C1, U+2028/U+2029, U+202A-202E, ...): as plain text it would "
                     "not show as it is on its own line, so no value is printed. The reveal is already in the audit "
                     "trail; ask again with --json, which reads each value as a JSON string (quote it: "
                     "'\"e2.contact.1....\"') and prints it escaped; that reveal is audited again\n",
                     i + 1, values.size());
        return kExitFailure;
      }
  }
  for (const auto& v : values) std::printf("%s\n", v ? (json ? TerminalJson(*v) : *v).c_str() : "");
  std::fflush(stdout);
  if (failed) {
    std::fprintf(stderr, "maskproxy: %zu of %zu value(s) could not be revealed%s\n", failed, values.size(),
                 first_error.empty() ? "" : (" (first: " + first_error + ")").c_str());
    return kExitFailure;
  }
  return kExitOk;
}

int ViaService(const std::string& admin, const std::string& cert, const std::string& key, const std::string& ca,
               reveal::ServiceRequest request) {
  if (cert.empty() || key.empty())
    return Usage("reveal: --cert and --key (your client certificate) are required to call the reveal service");
  std::string url = admin;
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (url.rfind("https://", 0) != 0) return Usage("reveal: --admin must be https://HOST:PORT (reveal is TLS only)");
  auto client = net::HttpClient::Create({.ca_file = ca, .cert_file = cert, .key_file = key});
  if (!client.ok()) return Fail(client.error(), kExitFailure);
  request.values = ReadValues(std::move(request.values));
  auto resp = (*client)->Send({.method = "POST",
                               .url = url + "/v1/reveal",
                               .headers = {{"Content-Type", "application/json"}},
                               .body = reveal::ServiceRequestJson(request)});
  if (!resp.ok()) return Fail(resp.error(), kExitFailure);
  auto parsed = reveal::ParseServiceResponse(resp->body);
  if (resp->status != 200) {
    std::string msg = parsed.ok() && !parsed->message.empty() ? parsed->message : "no details";
    std::string code = parsed.ok() && !parsed->error.empty() ? parsed->error : "error";
    std::string retry = resp->Header("Retry-After");
    std::fprintf(stderr, "maskproxy: the reveal service refused (HTTP %d, %s): %s%s\n", resp->status, code.c_str(),
                 msg.c_str(), retry.empty() ? "" : (" (retry after " + retry + " s)").c_str());
    return resp->status == 400 ? kExitUsage : kExitFailure;
  }
  if (!parsed.ok()) return Fail(parsed.error(), kExitFailure);
  if (parsed->values.size() != request.values.size())
    return Fail(Error(ErrorCode::kHttpBadResponse, "the reveal service answered another number of values"),
                kExitFailure);
  return Print(parsed->values, parsed->failed, "", request.json);
}

// The RFC 2253 subject of the operator's certificate in `cert_file` (PEM),
// proven: `key_file` holds its private key, and `ca_file` (the config's
// admin.tls.client_ca_file) verifies it now. A subject is what the trail
// records as the operator: it must not be any name a self-made certificate
// claims, so without a client CA there is no subject to take.
Result<std::string> CertificateSubject(const std::string& cert_file, const std::string& key_file,
                                       const std::string& ca_file) {
  auto bad = [&](const std::string& why) { return Error(ErrorCode::kUsage, "--cert " + cert_file + ": " + why); };
  if (ca_file.empty())
    return bad(
        "cannot be verified: the config names no admin.tls.client_ca_file, and without the CA that issues the "
        "operators' certificates any self-made certificate could put another name in the trail; configure "
        "admin.tls.client_ca_file, or leave out --cert to be recorded as the OS user");
  if (key_file.empty()) return bad("give its private key with --key (the trail names the certificate's holder)");
  FILE* f = std::fopen(cert_file.c_str(), "r");
  if (!f) return bad("cannot read it");
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (!cert) return bad("not a PEM certificate");
  std::unique_ptr<X509, decltype(&X509_free)> cert_owner(cert, &X509_free);
  FILE* k = std::fopen(key_file.c_str(), "r");
  if (!k) return bad("cannot read --key " + key_file);
  EVP_PKEY* pkey = PEM_read_PrivateKey(k, nullptr, nullptr, nullptr);
  std::fclose(k);
  if (!pkey) return bad("--key " + key_file + " is not a PEM private key");
  const int matches = X509_check_private_key(cert, pkey);
  EVP_PKEY_free(pkey);
  if (matches != 1) return bad("--key " + key_file + " is not its private key");
  // The listener's check (admin/client_ca.h): the file's CRLs included.
  auto store = admin::LoadClientCaStore(ca_file);
  if (!store.ok()) return bad("cannot load the client CA: " + store.error().message);
  if (Status v = admin::VerifyClientCertificate(store->store.get(), cert); !v.ok())
    return bad("not valid under the client CA " + ca_file + ": " + v.error().message);
  std::string out;
  if (BIO* bio = BIO_new(BIO_s_mem())) {
    if (X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0) {
      char* data = nullptr;
      const long n = BIO_get_mem_data(bio, &data);
      if (n > 0 && data) out.assign(data, static_cast<size_t>(n));
    }
    BIO_free(bio);
  }
  if (out.empty()) return bad("its subject cannot be read");
  return out;
}

}  // namespace

std::string OsUser() {
  std::string user;
  if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_name) user = pw->pw_name;
  if (user.empty()) user = "uid:" + std::to_string(getuid());
  // sudo sets SUDO_USER and SUDO_UID for the root it runs as; anyone can
  // set them otherwise. Only as root, and only when SUDO_UID is the uid
  // SUDO_USER names, is it who ran sudo; its name is kept only if it prints
  // as a plain one (text::IsOneLine, at most 64 bytes).
  const char* sudo = std::getenv("SUDO_USER");
  const char* sudo_uid = std::getenv("SUDO_UID");
  if (getuid() == 0 && sudo && *sudo && sudo_uid && *sudo_uid) {
    const passwd* pw = getpwnam(sudo);
    if (pw && std::to_string(pw->pw_uid) == sudo_uid && std::strlen(sudo) <= 64 && text::IsOneLine(sudo))
      user += " (sudo from " + std::string(sudo) + ")";
  }
  return user;
}

namespace {

// Break-glass: the config's policies and keyring in this process, the
// config's audit trail (refused without one), the operator from --cert or
// the OS user. Roles are not applied; ticket and reason are required.
int RevealOffline(const std::string& config_path, const std::string& cert, const std::string& key,
                  reveal::ServiceRequest request) {
  auto cfg = Config::Load(config_path);
  if (!cfg.ok()) return Fail(cfg.error(), kExitUsage);
  if (cfg->audit.file.empty() || cfg->audit.key_file.empty())
    return Fail(Error(ErrorCode::kAuditFailed, config_path + " configures no audit trail (audit: {file, key_file}): "
                                                             "an offline reveal writes there first, so nothing is "
                                                             "revealed without one"),
                kExitUsage);
  // The operator: the subject of --cert, else the OS user. A certificate
  // refused (not signed by the client CA, expired, without its key, or no
  // client CA configured to check it) is an attempt to act under another
  // name: audited as denied, under the OS user.
  std::string subject;
  std::string cert_refused;
  if (!cert.empty()) {
    auto s = CertificateSubject(cert, key, cfg->admin.tls_client_ca_file);
    if (s.ok()) {
      subject = std::move(s).value();
    } else {
      cert_refused = s.error().message;
      subject = OsUser() + " (--cert refused)";
    }
  } else {
    subject = OsUser();
  }
  auto trail = audit::FileTrail::Open(
      {.path = cfg->audit.file, .key_file = cfg->audit.key_file, .checkpoint_every = cfg->audit.checkpoint_every});
  if (!trail.ok()) return Fail(trail.error(), kExitFailure);
  // Closed on every return below (after anything printed), its final
  // checkpoint's anchor reported outside the file.
  const ClosingTrail closing(*trail);
  reveal::RevealRequest rr{.route = request.route,
                           .field = request.field,
                           .topic = request.topic,
                           .channel = "offline",
                           .subject = subject,
                           .role = "",
                           .ticket = request.ticket,
                           .reason = request.reason,
                           .key_version = request.key_version,
                           .keys_header = request.keys_header,
                           .json = request.json,
                           .values = {}};
  std::shared_ptr<audit::Sink> sink = *trail;
  std::shared_ptr<const policy::Policy> policy;
  // Every refusal is audited as denied: a break-glass attempt is worth a
  // line even when wrong.
  auto refuse = [&](ErrorCode code, const std::string& why) {
    audit::RevealEvent denied = reveal::Revealer::DeniedEvent(rr, code);
    if (policy) denied.policy = policy->Label();
    if (Status s = sink->Append(audit::ToEvent(denied)); !s.ok()) return Fail(s.error(), kExitFailure);
    return Usage("reveal: " + why);
  };
  // A break-glass attempt that fails before it can reveal (a keyring or
  // policy that does not load, the KMS) is in the trail too: denied, with
  // the error's code (never its message, which names files, not values,
  // but is no audit field).
  auto refuse_failed = [&](const Error& error) {
    audit::RevealEvent denied = reveal::Revealer::DeniedEvent(rr, error.code);
    if (Status s = sink->Append(audit::ToEvent(denied)); !s.ok()) return Fail(s.error(), kExitFailure);
    return Fail(error, kExitUsage);
  };
  if (!cert_refused.empty()) return refuse(ErrorCode::kRevealDenied, cert_refused);
  // Key custody: only the keys that reverse (a tokenization keyring is never
  // read, tokenize rules are never constructed); the policy with the route.
  // Wrapped versions are unwrapped through the config's KMS (else the
  // environment's); none needed for a keyring without them.
  auto kms = cfg->kms.address.empty() ? KmsFromEnv() : KmsFromConfig(cfg->kms);
  if (!kms.ok()) return refuse_failed(kms.error());
  // Only the key of the field it reverses (issue 13: found by review, each
  // offline reveal unwrapped every reversible key, and another key's KMS
  // failure stopped it): the policies compiled first without any key, so
  // that the field's rule names the key it needs (Action::MissingKey).
  std::set<std::string> needed;
  {
    auto keyless = LoadPoliciesForReveal(cfg->policy_files, {}, nullptr);
    if (!keyless.ok()) return refuse_failed(keyless.error());
    for (const auto& p : *keyless)
      if (const policy::Route* route = p->FindRouteByName(request.route)) {
        std::string action_name;
        if (const transform::Action* a = reveal::Revealer::FieldAction(*p, *route, request.field, &action_name))
          if (std::string name = a->MissingKey(); !name.empty()) needed.insert(std::move(name));
        break;
      }
  }
  // Every policy of the config, as the proxy loads them: the route that
  // reads --topic is decided among all of them (reveal::RouteReading).
  auto policies =
      LoadPoliciesForReveal(cfg->policy_files, cfg->keyring_files, kms->get(), (*trail)->key_fingerprints(), &needed);
  if (!policies.ok()) return refuse_failed(policies.error());
  // By the route's name only, as the service finds it (a source topic is
  // not a route's name: --topic says where a value was masked).
  for (const auto& p : *policies)
    if (p->FindRouteByName(request.route)) {
      policy = p;
      break;
    }
  if (!reveal::IsPurposeClass(request.reason))
    return refuse(ErrorCode::kInvalidArgument,
                  "--reason must be a purpose class: " + text::Join(reveal::PurposeClasses()));
  // The route given is not echoed: it is the caller's text, which may be a
  // value pasted into the wrong argument (the service does not echo it either).
  if (!policy)
    return refuse(ErrorCode::kInvalidArgument,
                  "no route of the name given (--route takes a route's name, not its source topic) in the config's "
                  "policies");
  auto revealer = reveal::Revealer::Create(policy, sink, *policies);
  if (!revealer.ok()) return refuse_failed(revealer.error());
  if (Status s = (*revealer)->Check(rr); !s.ok()) return refuse(s.error().code, s.error().message);
  rr.values = ReadValues(std::move(request.values));
  auto out = (*revealer)->Reveal(rr);  // the trail entry is written before any value returns
  if (!out.ok()) return Fail(out.error(), kExitFailure);
  return Print(out->values, out->failed, out->first_error ? out->first_error->ToString() : "", rr.json);
}

}  // namespace

int CmdReveal(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    const std::string name = a.substr(0, a.find('='));
    if (name == "--operator")
      return Usage(
          "reveal: --operator is gone: the operator is your client certificate's subject (or, --offline "
          "without --cert, the OS user)");
    if (name == "--audit-log")
      return Usage(
          "reveal: --audit-log is gone: reveals are audited in the proxy's configured trail (audit: in the "
          "config), never a file the caller chooses");
    if (name == "--policy" || name == "--keys")
      return Usage("reveal: " + name +
                   " is gone: call the running proxy (--admin) or, break-glass, --offline "
                   "--config FILE (its policies, keyring and audit trail)");
  }
  std::string admin, cert, key, ca, config_path, route_name, field, topic, ticket, reason, version_text, keys_header;
  bool json_io = false, help = false, offline = false;
  std::vector<std::string> values;
  std::string err = ParseFlags("reveal", args,
                               {{{"--admin", &admin},
                                 {"--cert", &cert},
                                 {"--key", &key},
                                 {"--ca", &ca},
                                 {"--config", &config_path},
                                 {"--route", &route_name},
                                 {"--field", &field},
                                 {"--topic", &topic},
                                 {"--ticket", &ticket},
                                 {"--reason", &reason},
                                 {"--key-version", &version_text},
                                 {"--keys-header", &keys_header}},
                                {{"--json", &json_io}, {"--offline", &offline}}},
                               &values, &help);
  if (!err.empty()) return Usage(err);
  if (help) {
    std::fputs(kRevealHelp, stdout);
    return kExitOk;
  }
  std::optional<uint32_t> key_version;
  if (!version_text.empty()) {
    if (version_text.size() > 9 || version_text.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(version_text) == 0)
      return Usage("reveal: --key-version needs a positive number");
    key_version = static_cast<uint32_t>(std::stoul(version_text));
  }
  if (route_name.empty() || field.empty()) return Usage("reveal: --route and --field are required");
  if (ticket.empty()) return Usage("reveal: --ticket ID is required (e.g. SEC-1); it is audited");
  if (reason.empty()) return Usage("reveal: --reason PURPOSE is required (e.g. fraud); it is audited");
  if (key_version && !keys_header.empty()) return Usage("reveal: give --keys-header or --key-version, not both");
  reveal::ServiceRequest request{.route = route_name,
                                 .field = field,
                                 .topic = topic,
                                 .ticket = ticket,
                                 .reason = reason,
                                 .key_version = key_version,
                                 .keys_header = keys_header,
                                 .json = json_io,
                                 .values = std::move(values)};
  if (offline) {
    if (!admin.empty()) return Usage("reveal: --offline and --admin exclude each other");
    if (config_path.empty()) return Usage("reveal: --offline needs --config FILE (the proxy's config)");
    return RevealOffline(config_path, cert, key, std::move(request));
  }
  if (!config_path.empty()) return Usage("reveal: --config is for --offline only");
  if (admin.empty()) return Usage("reveal: --admin https://HOST:PORT is required (or --offline --config FILE)");
  return ViaService(admin, cert, key, ca, std::move(request));
}

}  // namespace maskproxy::app
