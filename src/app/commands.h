// The subcommands of `maskproxy`, one file each (cmd_<name>.cc: its help
// text, its flags, what it does); cli.cc dispatches to them. `args` are the
// arguments after the command's name. Each returns the exit code.
#pragma once

#include <string>
#include <vector>

namespace maskproxy::app {

int CmdRun(const std::vector<std::string>& args);     // cmd_run.cc
int CmdKeys(const std::vector<std::string>& args);    // cmd_keys.cc
int CmdPolicy(const std::vector<std::string>& args);  // cmd_policy.cc
int CmdReveal(const std::vector<std::string>& args);  // cmd_reveal.cc
int CmdMask(const std::vector<std::string>& args);    // cmd_mask.cc
int CmdAudit(const std::vector<std::string>& args);   // cmd_audit.cc

// The operator an offline reveal without --cert records (cmd_reveal.cc): the
// name of getuid(), with "(sudo from NAME)" only when running as root and
// SUDO_USER and SUDO_UID name the same account (the environment alone is
// anyone's to set).
[[nodiscard]] std::string OsUser();

}  // namespace maskproxy::app
