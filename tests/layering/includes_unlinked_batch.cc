// Layering probe (scripts/check_layering.sh): compiled in a target that links
// only mp_batch; batch never links pipeline and links policy only PRIVATE (not
// through its headers). The build must FAIL.
#include "batch/batch.h"
#include "pipeline/pipeline.h"
