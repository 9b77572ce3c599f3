// SIGINT and SIGTERM become readable bytes on a pipe, so the event loop can forward them to
// the running stages and then finish the run in order; and, process-wide, a deadline after
// which rcd stops whatever it was doing (a download, an unpack, a push) and exits with 130.
#pragma once

#include <chrono>
#include <functional>

namespace rcd::exec {

// Installed once, at the start of main, for the whole run. On SIGINT or SIGTERM every
// InterruptGuard's fd becomes readable at once; if rcd is still running `grace` later, the
// process groups of every child still running get SIGTERM, then SIGKILL, `last_words` runs
// (it records the interrupted run), and rcd exits with 130. No phase can hold it longer.
void install_process_guard(std::chrono::milliseconds grace, std::function<void()> last_words);

// Whether a signal arrived since install_process_guard.
bool interrupted();

class InterruptGuard {
  public:
    InterruptGuard();  // installs the handlers, unless the process guard holds them
    ~InterruptGuard(); // restores the previous ones
    InterruptGuard(const InterruptGuard&) = delete;
    InterruptGuard& operator=(const InterruptGuard&) = delete;

    int fd() const;    // readable when a signal arrived
    int take_signal(); // the signal read from the pipe, or 0
};

} // namespace rcd::exec
