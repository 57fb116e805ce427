// maskproxy mask: a JSON Lines or CSV file through the engine (batch mode).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/commands.h"
#include "app/flags.h"
#include "app/kms_setup.h"
#include "app/policy_set.h"
#include "batch/batch.h"
#include "common/text.h"
#include "crypto/keyring.h"
#include "engine/engine.h"
#include "policy/policy.h"

namespace maskproxy::app {
namespace {

const char kMaskHelp[] = R"(maskproxy mask --policy FILE --keys FILE --route NAME [options]

Masks a file with the same engine and policy as the proxy, for batch
pipelines that land files in Hadoop. Streams in constant memory.

  JSON Lines  one record per line; the output is byte for byte what the
              proxy would produce for the same record value
  CSV         RFC 4180 with a header row; rules name columns (path: column)

A record that cannot be masked never reaches the output: it goes to the
quarantine file as {"line":N,"reason":"...","detail":"...","record":...}
("record_base64" instead of "record" for a line that is not UTF-8).
Without --quarantine the first such record stops the run (exit 1) and no
output file is left behind; a run that fails (a record, or reading or writing
any file, the quarantine included) leaves neither. Regular files are written
as NAME.partial and renamed when the run succeeds; devices, FIFOs and symbolic
links (such as /dev/stdout) are written in place. --in, --out and
--quarantine must be three different files (exit 2 otherwise); the
quarantine cannot be standard output (`-`), which carries the masked records.

Options:
  --route NAME               the route's name or source topic (a topic: the
                             records are masked as from that topic, which
                             encryption binds: reveal --topic names it)
  --in FILE                  input (default: standard input)
  --out FILE                 output (default: standard output)
  --quarantine FILE          unmaskable records (raw: created mode 0600; not -)
  --format jsonl|csv         default: from the --in file name, else jsonl
  --delimiter C              CSV delimiter (default ','; '\t' for tab)
  --max-record-bytes N       longer records are quarantined (default 1 MiB)
  --encryption-ledger FILE   encryption counts (default KEYS.usage)
)";

// What a file argument names, to tell two of them apart: the file itself
// (device and inode, symbolic links followed) when it exists, else its
// absolute name with symbolic links resolved, a dangling one included (the
// file it would create), and so the links of its existing directories.
struct FileId {
  bool exists = false;
  bool null_device = false;  // /dev/null: any number of arguments may name it
  dev_t dev = 0;
  ino_t ino = 0;
  std::string name;
};

bool IsNullDevice(const struct stat& st) {
  struct stat null {};
  return S_ISCHR(st.st_mode) && ::stat("/dev/null", &null) == 0 && st.st_rdev == null.st_rdev;
}

// The name a file not there yet will be created at: `path` made absolute,
// each symbolic link it ends in (dangling ones too) replaced by its target,
// and the links of its existing directories resolved.
// A staged file (NAME.partial) is removed and created anew, never written
// through a link: `follow` false keeps its last link unresolved.
std::string ResolvedName(const std::string& path, bool follow) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path p = fs::absolute(path, ec);
  if (ec) return path;
  for (int hops = 0; hops < (follow ? 40 : 1); ++hops) {  // ELOOP's bound
    fs::path dir = fs::weakly_canonical(p.parent_path(), ec);
    if (ec) return path;
    p = dir / p.filename();
    struct stat st {};
    if (!follow || ::lstat(p.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) break;
    fs::path target = fs::read_symlink(p, ec);
    if (ec) return path;
    p = target.is_absolute() ? target : dir / target;
  }
  if (!follow) return p.lexically_normal().string();
  p = fs::weakly_canonical(p, ec);
  return ec ? path : p.string();
}

FileId IdOfPath(const std::string& path, bool follow = true) {
  FileId id;
  struct stat st {};
  if ((follow ? ::stat(path.c_str(), &st) : ::lstat(path.c_str(), &st)) == 0) {
    id.exists = true;
    id.null_device = IsNullDevice(st);
    id.dev = st.st_dev;
    id.ino = st.st_ino;
  }
  id.name = ResolvedName(path, follow);
  return id;
}

// A standard stream (`fd` 0 or 1) is compared by what it is open on;
// nullopt when that cannot be told.
std::optional<FileId> IdOfStream(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return std::nullopt;
  FileId id;
  id.exists = true;
  id.null_device = IsNullDevice(st);
  id.dev = st.st_dev;
  id.ino = st.st_ino;
  return id;
}

// A quarantine written in place (a symbolic link, such as /dev/stdout, or
// a device): when that is, or through a link creates, a regular file, it is
// made private (0600) like a staged one. A device or FIFO is left alone (and
// not opened here: a FIFO's reader would see its end).
Status MakePrivateInPlace(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) return Status::Ok();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0600);
  if (fd < 0) return Error(ErrorCode::kIoError, "cannot write " + path + ": " + std::strerror(errno));
  Status s = Status::Ok();
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && ::fchmod(fd, 0600) != 0)
    s = Error(ErrorCode::kIoError,
              "cannot make the quarantine " + path + " private (chmod 0600): " + std::strerror(errno));
  ::close(fd);
  return s;
}

bool SameFile(const FileId& a, const FileId& b) {
  if (a.exists && b.exists) return a.dev == b.dev && a.ino == b.ino && !a.null_device;
  return !a.exists && !b.exists && !a.name.empty() && a.name == b.name;
}

}  // namespace

int CmdMask(const std::vector<std::string>& args) {
  std::string policy_path, keys_path, route_name, in_path, out_path, quarantine_path, format, ledger_path;
  std::string delimiter = ",", max_bytes;
  bool help = false;
  std::string err = ParseFlags("mask", args,
                               {{{"--policy", &policy_path},
                                 {"--keys", &keys_path},
                                 {"--route", &route_name},
                                 {"--in", &in_path},
                                 {"--out", &out_path},
                                 {"--quarantine", &quarantine_path},
                                 {"--format", &format},
                                 {"--delimiter", &delimiter},
                                 {"--encryption-ledger", &ledger_path},
                                 {"--max-record-bytes", &max_bytes}},
                                {}},
                               nullptr, &help);
  if (!err.empty()) return Usage(err);
  if (help) {
    std::fputs(kMaskHelp, stdout);
    return kExitOk;
  }
  if (policy_path.empty() || keys_path.empty() || route_name.empty())
    return Usage("mask: --policy, --keys and --route are required");
  batch::BatchOptions bo;
  if (format == "jsonl" || format == "ndjson") {
    bo.format = batch::Format::kJsonLines;
  } else if (format == "csv") {
    bo.format = batch::Format::kCsv;
  } else if (!format.empty()) {
    return Usage("mask: --format must be jsonl or csv");
  } else if (!in_path.empty() && in_path != "-") {
    auto f = batch::FormatForPath(in_path);
    if (!f.ok()) return Usage("mask: cannot tell the format of " + in_path + " from its name; use --format jsonl|csv");
    bo.format = *f;
  } else {
    bo.format = batch::Format::kJsonLines;
  }
  if (delimiter == "\\t") delimiter = "\t";
  if (delimiter.size() != 1) return Usage("mask: --delimiter must be one character ('\\t' for tab)");
  // A letter or digit would split values into cells too short for a detector
  // to see (9001011234567 with '0' is 9, "", 1, 11234567).
  if (std::isalnum(static_cast<unsigned char>(delimiter[0])))
    return Usage("mask: --delimiter may not be a letter or digit");
  bo.csv_delimiter = delimiter[0];
  // The engine's max_record_bytes bounds a line: a refusal names the flag
  // that sets it (found by review: "max_line_bytes", which no user can set).
  bo.limit_name = "--max-record-bytes";
  engine::Limits limits;
  if (!max_bytes.empty()) {
    if (max_bytes.size() > 10 || max_bytes.find_first_not_of("0123456789") != std::string::npos ||
        std::stoull(max_bytes) == 0)
      return Usage("mask: --max-record-bytes needs a positive number");
    limits.max_record_bytes = std::stoull(max_bytes);
  }
  if (quarantine_path == "-")
    return Usage(
        "mask: --quarantine - is refused: standard output carries the masked records; name a file (with --out FILE, "
        "/dev/stdout is one)");

  // Regular files are written beside their final names and renamed on
  // success, so a failed run never leaves a file that looks complete. Anything
  // else that exists (/dev/null, a FIFO, a terminal, and any symbolic link,
  // such as /dev/stderr or /dev/stdout) is written in place: renaming over it
  // would replace the device or the link itself with a file.
  auto staged = [](const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) != 0 || S_ISREG(st.st_mode);
  };
  const bool in_from_file = !in_path.empty() && in_path != "-";
  const bool out_to_file = !out_path.empty() && out_path != "-";
  const bool out_staged = out_to_file && staged(out_path);
  const bool q_staged = !quarantine_path.empty() && staged(quarantine_path);
  const std::string out_target = out_staged ? out_path + ".partial" : out_path;
  const std::string q_target = q_staged ? quarantine_path + ".partial" : quarantine_path;

  // No two of the input, the output, the quarantine (raw records) and the
  // files staged for them may be one file: the quarantine would land at the
  // output's path or replace the input, the output overwrite the input.
  {
    struct Arg {
      int arg;  // 0 --in, 1 --out, 2 --quarantine: each with its staged file
      std::string what;
      std::optional<FileId> id;
    };
    std::vector<Arg> files;
    if (in_from_file) {
      files.push_back({0, "--in " + in_path, IdOfPath(in_path)});
    } else if (auto id = IdOfStream(STDIN_FILENO); id) {
      struct stat st {};
      if (::fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode)) files.push_back({0, "standard input (--in)", id});
    }
    if (out_to_file) {
      files.push_back({1, "--out " + out_path, IdOfPath(out_path)});
      if (out_staged) files.push_back({1, "--out's " + out_target, IdOfPath(out_target, false)});
    } else {
      // Also without --quarantine: `mask --in F >> F` would read its own
      // output for ever.
      files.push_back({1, "standard output (--out)", IdOfStream(STDOUT_FILENO)});
    }
    if (!quarantine_path.empty()) {
      files.push_back({2, "--quarantine " + quarantine_path, IdOfPath(quarantine_path)});
      if (q_staged) files.push_back({2, "--quarantine's " + q_target, IdOfPath(q_target, false)});
    }
    for (size_t i = 0; i < files.size(); ++i)
      for (size_t j = i + 1; j < files.size(); ++j)
        if (files[i].id && files[j].id && files[i].arg != files[j].arg && SameFile(*files[i].id, *files[j].id))
          return Usage("mask: " + files[i].what + " and " + files[j].what +
                       " are the same file; --in, --out and --quarantine must be three different files");
  }

  auto keys = LoadKeyringForCli(keys_path);
  if (!keys.ok()) return Fail(keys.error(), kExitUsage);
  // The engine holds the policy, and the policy the encryption ledger.
  auto set =
      LoadPolicySet({policy_path}, *keys, {ledger_path.empty() ? keys_path + ".usage" : ledger_path, limits, nullptr});
  if (!set.ok()) return Fail(set.error(), kExitUsage);
  const std::shared_ptr<const engine::Engine> eng = set->engine;
  const policy::Route* route = set->policies.front()->FindRoute(route_name);
  if (!route) return Usage("mask: no route" + text::Shown(route_name) + " in " + policy_path);
  const engine::RouteRef* ref = eng->RouteFor(route);
  // A source topic given for --route is the topic the records are masked as,
  // as the proxy would from that topic (a review: on a pattern route the
  // pattern was bound instead, and reveal --topic failed).
  if (route_name != route->name) bo.topic = route_name;

  std::ios::sync_with_stdio(false);
  std::ifstream in_file;
  std::istream* in = &std::cin;
  if (in_from_file) {
    in_file.open(in_path, std::ios::binary);
    if (!in_file) return Fail(Error(ErrorCode::kIoError, "cannot read " + in_path), kExitFailure);
    in = &in_file;
  }
  // What this run created, removed unless it succeeds.
  struct Created {
    std::vector<std::string> paths;
    Created() = default;
    Created(const Created&) = delete;
    Created& operator=(const Created&) = delete;
    ~Created() {
      for (const std::string& p : paths) ::unlink(p.c_str());
    }
  } created;
  std::ofstream out_file, q_file;
  std::ostream* out = &std::cout;
  if (out_to_file) {
    std::string write_path = out_target;
    std::optional<batch::CreatedFile> created_file;
    if (out_staged) {
      // A stale .partial, or a symbolic link planted there, is removed, not
      // written through; the new one is written through its descriptor, not
      // reopened by a name someone could have replaced since.
      auto f = batch::CreateFreshFile(out_target);
      if (!f.ok()) return Fail(f.error(), kExitFailure);
      created.paths.push_back(out_target);
      created_file.emplace(std::move(*f));
      write_path = created_file->WritePath();
    }
    out_file.open(write_path, std::ios::binary | std::ios::trunc);
    if (!out_file) return Fail(Error(ErrorCode::kIoError, "cannot write " + out_target), kExitFailure);
    out = &out_file;
  }
  if (!quarantine_path.empty()) {
    std::string write_path = q_target;
    std::optional<batch::CreatedFile> created_file;
    if (q_staged) {
      // Quarantined records are raw: the file is private like the source
      // data, whatever a stale .partial's mode was, and written through the
      // descriptor that created it (a link swapped in under its name since
      // would otherwise receive the raw records).
      auto f = batch::CreatePrivateFile(q_target);
      if (!f.ok()) return Fail(f.error(), kExitFailure);
      created.paths.push_back(q_target);
      created_file.emplace(std::move(*f));
      write_path = created_file->WritePath();
    } else if (Status s = MakePrivateInPlace(q_target); !s.ok()) {
      return Fail(s.error(), kExitFailure);
    }
    q_file.open(write_path, std::ios::binary | std::ios::trunc);
    if (!q_file) return Fail(Error(ErrorCode::kIoError, "cannot write " + q_target), kExitFailure);
  }
  auto stats = batch::MaskStream(*eng, *ref, *in, *out, quarantine_path.empty() ? nullptr : &q_file, bo);
  out->flush();
  // A write that fails only when the file is closed (a full disk, /dev/full)
  // fails the run as any other: the quarantine holds the records the output
  // lacks.
  bool q_ok = true;
  if (q_file.is_open()) {
    q_file.close();
    q_ok = !q_file.fail();
  }
  if (out_file.is_open()) out_file.close();
  if (!stats.ok()) return Fail(stats.error(), kExitFailure);
  if (!*out || (out_to_file && out_file.fail()))
    return Fail(Error(ErrorCode::kIoError, "writing the output failed"), kExitFailure);
  if (!q_ok) return Fail(Error(ErrorCode::kIoError, "writing the quarantine " + q_target + " failed"), kExitFailure);
  if (q_staged) {
    if (::rename(q_target.c_str(), quarantine_path.c_str()) != 0)
      return Fail(Error(ErrorCode::kIoError, "cannot rename " + q_target + " to " + quarantine_path), kExitFailure);
    std::erase(created.paths, q_target);
    created.paths.push_back(quarantine_path);  // until the output is in place too
  }
  if (out_staged && ::rename(out_target.c_str(), out_path.c_str()) != 0)
    return Fail(Error(ErrorCode::kIoError, "cannot rename " + out_target + " to " + out_path), kExitFailure);
  created.paths.clear();
  std::fprintf(stderr, "maskproxy: %llu record(s): %llu masked, %llu quarantined; %llu bytes in, %llu bytes out\n",
               static_cast<unsigned long long>(stats->records), static_cast<unsigned long long>(stats->masked),
               static_cast<unsigned long long>(stats->quarantined), static_cast<unsigned long long>(stats->bytes_in),
               static_cast<unsigned long long>(stats->bytes_out));
  // Every line is accounted for (a review counted lines in against out and
  // quarantine): blank ones are copied through, not records.
  if (stats->blank_lines)
    std::fprintf(stderr, "maskproxy: %llu blank line(s) copied through as they are (no record in them)\n",
                 static_cast<unsigned long long>(stats->blank_lines));
  if (stats->pii_scanned)
    std::fprintf(stderr, "maskproxy: scan rules found %llu PII hit(s), each handled as the scan section says\n",
                 static_cast<unsigned long long>(stats->pii_scanned));
  // The schema-drift report: fields no rule names that carried PII.
  for (const auto& [where, n] : stats->unlisted_pii)
    std::fprintf(
        stderr,
        "maskproxy: unlisted field %s carried %s in %llu record(s) (handled as the scan section says; add a rule)\n",
        where.first.c_str(), where.second.c_str(), static_cast<unsigned long long>(n));
  // A rule that met no value in any record written: its path may not be
  // the records' (a typo such as usr.rrn lets user.rrn pass under
  // unlisted_fields: keep), or the sample lacks the field.
  for (size_t i = 0; i < stats->rule_values.size() && stats->masked > 0; ++i) {
    const policy::Rule& rule = route->rules[i];
    if (stats->rule_values[i] != 0 || rule.target != policy::Target::kValue) continue;
    std::fprintf(stderr,
                 "maskproxy: warning: rule '%s' (%s) met no value but null in the %llu record(s) masked: check its "
                 "path against the records' fields\n",
                 rule.path.text.c_str(), rule.action_name.c_str(), static_cast<unsigned long long>(stats->masked));
  }
  if (!route->key_refs.empty())
    std::fprintf(stderr, "maskproxy: reversible outputs use key versions %s (keep this for reveal --keys-header)\n",
                 route->key_refs.c_str());
  return kExitOk;
}

}  // namespace maskproxy::app
