// The built-in actions, one header per action under transform/actions/ (each
// has a static Create() that validates options). Callers that want every
// action include this header; the name -> factory table is registry.h.
#pragma once

#include "transform/actions/encrypt.h"
#include "transform/actions/encrypt_deterministic.h"
#include "transform/actions/fpe.h"
#include "transform/actions/generalize.h"
#include "transform/actions/keep.h"
#include "transform/actions/mask.h"
#include "transform/actions/redact.h"
#include "transform/actions/tokenize.h"
#include "transform/registry.h"
