#include "common/number.h"

namespace maskproxy::number {

bool IsJsonNumber(std::string_view s) {
  if (s.empty()) return false;
  const char* e = s.data() + s.size();
  const auto r = ScanJsonNumber(s.data(), e);
  return r.error == JsonNumberError::kNone && r.end == e;
}

bool IsJsonInteger(std::string_view s) {
  return IsJsonNumber(s) && s.find_first_of(".eE") == std::string_view::npos;
}

}  // namespace maskproxy::number
