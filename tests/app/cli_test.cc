// What every command does before its own work (cli.h), and the operator an
// offline reveal records without a certificate (commands.h OsUser).
#include "app/cli.h"

#include <gtest/gtest.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>
#include <string>

#include "app/commands.h"

namespace maskproxy::app {
namespace {

// The process's dumpable flag after DisableCoreDumps, in a child (the test
// process keeps its own).
int DumpableAfterDisable(const char* allow_env) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (allow_env)
      setenv("MASKPROXY_ALLOW_CORE_DUMPS", allow_env, 1);
    else
      unsetenv("MASKPROXY_ALLOW_CORE_DUMPS");
    if (!DisableCoreDumps()) _exit(99);
    _exit(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

// A core dump would write the keyring and KMS-unwrapped data keys to disk.
TEST(Cli, CoreDumpsAreDisabledUnlessAllowed) {
  EXPECT_EQ(DumpableAfterDisable(nullptr), 0);
  EXPECT_EQ(DumpableAfterDisable("0"), 0);
  EXPECT_EQ(DumpableAfterDisable("1"), 1) << "MASKPROXY_ALLOW_CORE_DUMPS=1 keeps them";
}

class EnvVar {
 public:
  explicit EnvVar(const char* name) : name_(name) {
    if (const char* v = std::getenv(name)) old_ = v;
  }
  ~EnvVar() {
    if (old_)
      setenv(name_, old_->c_str(), 1);
    else
      unsetenv(name_);
  }
  void Set(const std::string& v) const { setenv(name_, v.c_str(), 1); }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// SUDO_USER is anyone's to set: an offline reveal names the person who ran
// sudo only when it runs as root and SUDO_UID is that person's uid.
TEST(Cli, OsUserTrustsSudoUserOnlyAsRootWithAMatchingUid) {
  const EnvVar sudo_user("SUDO_USER"), sudo_uid("SUDO_UID");
  const passwd* me = getpwuid(getuid());
  ASSERT_NE(me, nullptr);
  const std::string self = me->pw_name;
  unsetenv("SUDO_USER");
  unsetenv("SUDO_UID");
  EXPECT_EQ(OsUser(), self);
  sudo_user.Set("alice");  // no such account, or not that uid
  sudo_uid.Set("987654");
  EXPECT_EQ(OsUser(), self);
  sudo_user.Set("ro\not");
  sudo_uid.Set("0");
  EXPECT_EQ(OsUser(), self) << "not a name that prints as one line";
  sudo_user.Set("root");
  sudo_uid.Set("0");
  if (getuid() == 0)
    EXPECT_EQ(OsUser(), self + " (sudo from root)");
  else
    EXPECT_EQ(OsUser(), self) << "not root: not run through sudo";
  unsetenv("SUDO_UID");
  EXPECT_EQ(OsUser(), self) << "SUDO_USER without SUDO_UID";
}

}  // namespace
}  // namespace maskproxy::app
