// The keyring fixture of the GoogleTest tests: test_keys.h, and a
// crypto::Keyring built from fixed test keys that records a test failure (and
// is empty) if it does not parse.
#pragma once

#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "support/test_keys.h"

namespace maskproxy::test_keys {

// The keyring of `keys`, e.g. TestKeyring({{"rrn", {Material(0)}}, {"phone", {Material(32)}}}).
inline crypto::Keyring TestKeyring(const std::vector<TestKey>& keys) {
  auto r = ParseKeyring(keys);
  if (!r.ok()) {
    ADD_FAILURE() << r.error().ToString();
    return crypto::Keyring();
  }
  return std::move(r).value();
}

}  // namespace maskproxy::test_keys
