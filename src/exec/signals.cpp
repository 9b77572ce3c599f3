#include "rcd/exec/signals.hpp"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <unistd.h>

namespace rcd::exec {

namespace {
int g_pipe[2] = {-1, -1};
struct sigaction g_previous_int, g_previous_term;

extern "C" void on_signal(int signal) {
    int saved = errno;
    unsigned char byte = static_cast<unsigned char>(signal);
    [[maybe_unused]] auto n = ::write(g_pipe[1], &byte, 1);
    errno = saved;
}
} // namespace

InterruptGuard::InterruptGuard() {
    ::pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK);
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &action, &g_previous_int);
    ::sigaction(SIGTERM, &action, &g_previous_term);
}

InterruptGuard::~InterruptGuard() {
    ::sigaction(SIGINT, &g_previous_int, nullptr);
    ::sigaction(SIGTERM, &g_previous_term, nullptr);
    ::close(g_pipe[0]);
    ::close(g_pipe[1]);
    g_pipe[0] = g_pipe[1] = -1;
}

int InterruptGuard::fd() const {
    return g_pipe[0];
}

int InterruptGuard::take_signal() {
    unsigned char byte = 0;
    if (::read(g_pipe[0], &byte, 1) == 1)
        return byte;
    return 0;
}

} // namespace rcd::exec
