#include "transform/action.h"

#include <algorithm>
#include <charconv>

#include "common/text.h"

namespace maskproxy::transform {
namespace {
// Errors carry the option name in brackets at the start of the message, so
// the policy loader can point at the option's line and column.
Error OptError(std::string_view name, const std::string& what) {
  // Built by appending: GCC 12 at -O3 warns (-Wrestrict, a false positive)
  // about "[" + std::string(...).
  std::string msg = "[";
  msg.append(name).append("] option '").append(name).append("' ").append(what);
  return Error(ErrorCode::kInvalidOption, msg);
}
}  // namespace

Result<std::string> Action::Reveal(const ActionContext&, std::string_view, std::optional<uint32_t>) const {
  return Error(ErrorCode::kNotReversible, "this action's output cannot be revealed");
}

std::string ActionOptions::OptionOf(const Error& e) {
  if (e.message.size() < 2 || e.message[0] != '[') return "";
  auto close = e.message.find(']');
  return close == std::string::npos ? "" : e.message.substr(1, close - 1);
}

Result<std::string> ActionOptions::TakeString(std::string_view name, std::string_view dflt, bool required) {
  taken_.emplace_back(name);
  auto it = values_.find(std::string(name));
  if (it == values_.end()) {
    if (required) return Error(ErrorCode::kInvalidOption, "[] missing required option '" + std::string(name) + "'");
    return std::string(dflt);
  }
  if (it->second.is_null) return OptError(name, "must not be empty");
  return it->second.text;
}

Result<int64_t> ActionOptions::TakeInt(std::string_view name, int64_t dflt, int64_t min, int64_t max) {
  taken_.emplace_back(name);
  auto it = values_.find(std::string(name));
  if (it == values_.end()) return dflt;
  if (it->second.quoted) return OptError(name, "must be a whole number, not a string (write it without quotes)");
  const std::string& t = it->second.text;
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (it->second.is_null || ec != std::errc() || ptr != t.data() + t.size())
    return OptError(name, "must be a whole number");
  if (v < min || v > max)
    return OptError(name, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  return v;
}

Result<std::string> ActionOptions::TakeEnum(std::string_view name, std::string_view dflt,
                                            const std::vector<std::string>& allowed) {
  // YAML reads a bare `null` as a null value: accept it where "null" is a choice.
  if (auto it = values_.find(std::string(name));
      it != values_.end() && it->second.is_null && std::find(allowed.begin(), allowed.end(), "null") != allowed.end()) {
    taken_.emplace_back(name);
    return std::string("null");
  }
  auto s = TakeString(name, dflt);
  if (!s.ok()) return s;
  if (std::find(allowed.begin(), allowed.end(), *s) == allowed.end()) {
    std::string hint = text::Suggest(*s, allowed);
    return OptError(name,
                    "must be one of: " + text::Join(allowed) + (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
  }
  return s;
}

std::vector<std::string> ActionOptions::Untaken() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : values_)
    if (std::find(taken_.begin(), taken_.end(), k) == taken_.end()) out.push_back(k);
  return out;
}

int ActionStrength(std::string_view action_name) {
  if (action_name == "keep") return 0;
  if (action_name == "mask" || action_name == "generalize" || action_name == "scan") return 1;
  return 2;
}

int MismatchStrength(std::string_view action_name, const Action& action) {
  if (action_name == "keep") return 0;
  if (action_name == "generalize" || action_name == "scan") return 1;
  if (action_name == "mask" || action_name == "fpe") return action.ShowsInput() ? 1 : 2;
  return 3;
}

int MismatchPartialKind(std::string_view action_name, const Action& action) {
  if (MismatchStrength(action_name, action) != 1) return 0;
  return action_name == "scan" ? 2 : 1;
}

int PartialKind(std::string_view action_name) {
  if (action_name == "mask" || action_name == "generalize") return 1;
  return action_name == "scan" ? 2 : 0;
}

bool IsReversible(std::string_view action_name) {
  return action_name == "encrypt" || action_name == "encrypt_deterministic" || action_name == "fpe";
}

}  // namespace maskproxy::transform
