// The maskproxy command line: subcommands and their help.
#pragma once

namespace maskproxy::app {

// Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error.
int Main(int argc, char** argv);

// Every command holds key material (a keyring, KMS-unwrapped data keys) and
// records in memory: no core dump may write them to disk, whatever the
// machine's ulimit or core_pattern. Marks the process not dumpable
// (prctl PR_SET_DUMPABLE 0: no core file, no ptrace attach by the same
// user) unless MASKPROXY_ALLOW_CORE_DUMPS=1 (debugging on a machine without
// real keys or data). Called first by Main. False if the kernel refused.
[[nodiscard]] bool DisableCoreDumps();

}  // namespace maskproxy::app
