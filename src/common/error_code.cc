#include "common/error_code.h"

namespace maskproxy {

std::ostream& operator<<(std::ostream& os, ErrorCode c) {
  return os << ErrorCodeName(c);
}

}  // namespace maskproxy
