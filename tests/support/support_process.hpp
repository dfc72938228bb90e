// Test support shared by the C++ tests that talk to real peers started as child processes: the
// scripts of tests/support/ (SMTP sink, webhook sink, vulnerability feed server) run with
// Debian's python3 (MUHAFIZ_PYTHON overrides it), and free loopback ports for them.
// Thread-safety: none needed (test code).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace muhafiz::testing {

// The repository root: MUHAFIZ_SOURCE_DIR (set by muhafiz_test), else ".".
[[nodiscard]] std::string SourceDir();

// A loopback port nobody listens on right now.
[[nodiscard]] int FreeLoopbackPort();

// tests/support/<script> as a child process: started on construction (waits up to 20 s for its
// "ready" line on stdout; throws std::runtime_error otherwise), terminated on destruction.
class SupportScript {
  public:
    SupportScript(const std::string& script, const std::vector<std::string>& args);
    ~SupportScript();
    SupportScript(const SupportScript&) = delete;
    SupportScript& operator=(const SupportScript&) = delete;

  private:
    void Stop();

    pid_t pid_ = -1;
    int out_ = -1;  // kept open until the end: the child must not see a broken pipe
};

}  // namespace muhafiz::testing
