// The flag parser every command shares, and how a command ends: a usage
// error (exit 2, with a pointer to --help) or a failure with its message.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/result.h"

namespace maskproxy::app {

// Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Prints "maskproxy: MSG" and the pointer to --help to stderr; kExitUsage.
int Usage(const std::string& msg);

// Prints "maskproxy: MESSAGE" of `e` to stderr; returns `code`.
int Fail(const Error& e, int code);

// A command's flags: `--name VALUE` options into the given strings, `--flag`
// switches into bools. Each may be given once: a second time (or a second
// name of the same target) is a usage error.
struct Flags {
  std::vector<std::pair<const char*, std::string*>> values;
  std::vector<std::pair<const char*, bool*>> switches;
};

// Parses `args` (after the command's name, `cmd`, used in messages) into
// `flags`, and the rest into *positional (when given; an argument starting
// with '-' is never positional). Returns "" or a usage message. --help/-h
// sets *help and stops.
[[nodiscard]] std::string ParseFlags(const std::string& cmd, const std::vector<std::string>& args, const Flags& flags,
                                     std::vector<std::string>* positional, bool* help);

// A command name the user typed, quoted for "unknown command" when it reads
// as one (a letter, then at most 31 letters, digits, '-' or '_'): " 'NAME'";
// otherwise " (not shown: it may be a value)".
[[nodiscard]] std::string ShownCommand(const std::string& word);

}  // namespace maskproxy::app
