// Verification of an audit trail file (trail.h defines the entries).
//
// Each line is checked in order; the first problem is reported and named:
//
//   modified   the entry's mac does not verify under any version of key
//              "audit" in the key file ("entry 17 (line 17): mac does not
//              verify (modified, or forged without the key)"). A forged line
//              inserted without the key is found the same way. If no entry
//              of the file verifies, the key file is named instead (wrong key).
//   deleted    an authentic entry whose seq is higher than the one expected,
//              and the expected seq appears nowhere later in the file
//              ("line 12: seq 13 where 12 was expected (entry 12 deleted)").
//   reordered  an authentic entry whose seq is not the expected one, and the
//              expected seq is found later in the file, or this seq was seen
//              earlier ("line 12: seq 13 where 12 was expected (reordered:
//              entry 12 is at line 13)").
//   inserted   an authentic line copied from elsewhere in the file (same
//              bytes as an earlier entry: "line 20: a copy of entry 7 (line
//              7) (inserted)"), or an authentic entry whose prev is not the
//              hash of the line before it (taken from another trail under
//              the same key: "line 20: prev does not match the hash of line
//              19 (an entry inserted or taken from another trail)").
//   retired    an authentic entry signed with an older version of key
//              "audit" than an entry before it: the writer signs with the
//              active version and `keys rotate` only raises it, so the entry
//              was rewritten by someone holding a retired version ("entry 9
//              (line 9): signed with audit key version 1 after version 2
//              signed an earlier entry (rewritten with a retired key)").
//   truncated  the trail does not end with a final checkpoint (the one
//              FileTrail::Close writes at stop): "open: 4 entries after the
//              last checkpoint at seq 200 and no final checkpoint (cut short,
//              or the writer is still running or crashed)". A last line
//              without its newline that can be the start of the next entry
//              (a write cut short) is reported likewise ("line 205: partial
//              last line (no newline)"); one that cannot (garbage, another
//              seq) or is a whole JSON object (checked as an entry: a forged
//              one fails its mac) is tampering. Cutting the file exactly after an
//              earlier final checkpoint (a whole later run removed) cannot be
//              seen from the file alone: the writers report each final
//              checkpoint's anchor outside it (Anchor), which Verify's
//              `expect` checks.
//   resumed    a writer that opens a trail without a final checkpoint
//              writes trail_resumed first (FileTrail::Open): a trail cut
//              short and then written again still says so ("1 unclean
//              end(s) ... at seq 7"; exit 3 without --allow-open). A trail
//              file that exists but is empty (emptied, or its first writer
//              crashed before its first entry) is resumed the same way: its
//              first entry is trail_resumed with after_seq 0 and found_empty
//              ("... at seq 1 (the file was found empty: ...)").
//
// Reports carry seq numbers, line numbers and event names only, never an
// entry's field values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace maskproxy::audit {

struct TrailKeys;

// A checkpoint named outside the trail: its seq and a prefix (16 hex digits
// as written, at least 16) of its `chain`, the unkeyed running SHA-256 of
// every line before it (trail.h). A writer that closes the trail reports the
// anchor of its final checkpoint (stderr, syslog); `audit verify --expect`
// checks that the trail still holds that checkpoint, which a cut after it,
// a replaced trail or a rewritten tail does not. The chain is computed from
// the file's own bytes: it gives nothing towards forging an entry (that
// needs the MAC key).
struct Anchor {
  uint64_t seq = 0;
  std::string chain;  // lower-case hex, 16 to 64 digits
};
inline constexpr size_t kAnchorHexDigits = 16;
// "seq=N chain=HEX" (kAnchorHexDigits of the chain).
[[nodiscard]] std::string AnchorText(const Anchor& anchor);
// "seq=N,chain=HEX" or "seq=N chain=HEX"; error "usage" otherwise.
[[nodiscard]] Result<Anchor> ParseAnchor(std::string_view text);

struct VerifyReport {
  bool ok = false;        // no entry modified, deleted, reordered or inserted
  bool complete = false;  // ok, and the last entry is a final checkpoint
  uint64_t entries = 0;   // lines read as entries (up to the first problem)
  uint64_t last_checkpoint_seq = 0;
  uint64_t last_seq = 0;
  std::string last_event;     // event name of the last good entry
  std::string first_problem;  // "" when ok and complete
  // Where a writer continues (FileTrail::Open): the last good entry.
  std::string last_hash;          // hex SHA-256 of its line; 64 zeros when none
  std::string chain;              // running chain hash through it
  uint64_t good_bytes = 0;        // offset just after it
  uint64_t since_checkpoint = 0;  // entries after the last checkpoint
  bool partial_last_line = false;
  // Seqs of the trail_resumed entries: where a writer took over a trail its
  // last writer had not closed (crashed, or the entries after were cut).
  std::vector<uint64_t> resumed_at;
  // With an expected anchor: its seq once the trail is found to hold it
  // (otherwise ok is false and first_problem says what is missing).
  uint64_t anchor_seq = 0;
};

// Exit codes of `maskproxy audit verify`.
inline constexpr int kVerifyIntact = 0;    // complete (or open, with --allow-open)
inline constexpr int kVerifyTampered = 1;  // modified, deleted, reordered or inserted
inline constexpr int kVerifyOpen = 3;      // truncated after the last checkpoint / not closed / resumed
[[nodiscard]] int VerifyExitCode(const VerifyReport& report, bool allow_open);

// Reads `path` and the key file; an error only when either cannot be read
// (or the key file is refused).
// With `expect`, the trail must also hold that checkpoint (Anchor): a
// checkpoint at that seq whose chain starts with the anchor's, or the report
// is not ok (tampered: cut before it, replaced, or rewritten).
[[nodiscard]] Result<VerifyReport> Verify(const std::string& path, const std::string& key_file,
                                          const Anchor* expect = nullptr);
[[nodiscard]] VerifyReport VerifyText(std::string_view text, const TrailKeys& keys, const Anchor* expect = nullptr);

// "intact: 1203 entries, complete (final checkpoint at seq 1203)" and the like.
[[nodiscard]] std::string Summary(const VerifyReport& report);

}  // namespace maskproxy::audit
