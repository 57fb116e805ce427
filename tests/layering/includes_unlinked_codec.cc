// Layering probe (scripts/check_layering.sh): compiled in a target that links
// only mp_codec, which does not use crypto. The build must FAIL.
#include "codec/json.h"
#include "crypto/keyring.h"
