// The audit trail: an append-only file of JSON lines, one per event that the
// security team must be able to account for (a reveal, PII found where no rule
// expected it). Lines never hold a record value or key material.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace maskproxy::audit {

// Appends `line` and a newline to the file at `path` (created 0600, opened
// for appending) and fsyncs it. Error "audit_failed" otherwise.
[[nodiscard]] Status AppendLine(const std::string& path, std::string_view line);

// The current UTC time as 2026-11-26T07:49:57Z.
[[nodiscard]] std::string NowUtc();

}  // namespace maskproxy::audit
