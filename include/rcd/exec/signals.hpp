// SIGINT and SIGTERM become readable bytes on a pipe, so the event loop can forward them to
// the running stages and then finish the run in order.
#pragma once

namespace rcd::exec {

class InterruptGuard {
  public:
    InterruptGuard();  // installs the handlers
    ~InterruptGuard(); // restores the previous ones
    InterruptGuard(const InterruptGuard&) = delete;
    InterruptGuard& operator=(const InterruptGuard&) = delete;

    int fd() const;    // readable when a signal arrived
    int take_signal(); // the signal read from the pipe, or 0
};

} // namespace rcd::exec
