// The maskproxy command line: subcommands and their help.
#pragma once

namespace maskproxy::app {

// Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error.
int Main(int argc, char** argv);

}  // namespace maskproxy::app
