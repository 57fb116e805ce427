// Layering probe (scripts/check_layering.sh): compiled in a target that links
// mp_codec, so both includes resolve. The build must succeed.
#include "codec/json.h"
#include "common/result.h"
