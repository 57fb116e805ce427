// The one keyring fixture of the C++ tests (and the fuzz targets): fixed,
// non-secret test key material and the keyring YAML / crypto::Keyring made of
// it. No GoogleTest here (the fuzz targets use it); keyring_fixture.h adds the
// GoogleTest form. Never real keys.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "crypto/base64.h"
#include "crypto/keyring.h"

namespace maskproxy::test_keys {

// 32 bytes of splitmix64's output from `seed`: fixed, public test material
// that a keyring takes for random (a counting sequence first, first + 1,
// ... is refused as key_weak).
inline std::vector<uint8_t> MixedBytes(uint64_t seed) {
  std::vector<uint8_t> b(32);
  uint64_t x = seed;
  for (size_t i = 0; i < b.size(); i += 8) {
    x += 0x9e3779b97f4a7c15ULL;
    uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    for (size_t j = 0; j < 8; ++j) b[i + j] = static_cast<uint8_t>(z >> (8 * j));
  }
  return b;
}

// Base64 of MixedBytes(first): a key version's material.
inline std::string Material(uint8_t first) {
  const std::vector<uint8_t> b = MixedBytes(first);
  return crypto::Base64Encode(b.data(), b.size());
}

// Base64 of other material that `fill` names (MixedBytes(0x100 + fill):
// never a Material(first)'s).
inline std::string FilledMaterial(uint8_t fill) {
  const std::vector<uint8_t> b = MixedBytes(0x100U + fill);
  return crypto::Base64Encode(b.data(), b.size());
}

// One named key: versions[i] is the material of version i + 1; `active` is
// the active version (0: the last one).
struct TestKey {
  std::string name;
  std::vector<std::string> versions;
  uint32_t active = 0;
};

// Keyring YAML of the keys, as `maskproxy keys generate` writes it.
inline std::string KeyringYaml(const std::vector<TestKey>& keys) {
  std::string y = "keys:\n";
  for (const TestKey& k : keys) {
    const uint32_t active = k.active != 0 ? k.active : static_cast<uint32_t>(k.versions.size());
    y += "  " + k.name + ":\n    active: " + std::to_string(active) + "\n    versions:\n";
    for (size_t v = 0; v < k.versions.size(); ++v) y += "      " + std::to_string(v + 1) + ": " + k.versions[v] + "\n";
  }
  return y;
}

[[nodiscard]] inline Result<crypto::Keyring> ParseKeyring(const std::vector<TestKey>& keys) {
  return crypto::Keyring::Parse(KeyringYaml(keys), "test-keys.yaml");
}

}  // namespace maskproxy::test_keys
