// The maskproxy command line: subcommands and their help.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/result.h"

namespace maskproxy::app {

// Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error.
int Main(int argc, char** argv);

// For `reveal --keys-header`: the version of key `key_name` in the value of a
// record's maskproxy.keys header ("account:1,contact:1,phone:2", as the proxy
// writes it). Error "invalid_argument" if the header is malformed or does not
// name the key (or names it twice with different versions).
[[nodiscard]] Result<uint32_t> VersionInKeysHeader(std::string_view header, std::string_view key_name);

}  // namespace maskproxy::app
