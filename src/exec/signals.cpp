#include "rcd/exec/signals.hpp"

#include "rcd/exec/process.hpp"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <thread>
#include <unistd.h>

namespace rcd::exec {

namespace {
int g_pipe[2] = {-1, -1};  // the event loops' pipe: an InterruptGuard reads it
int g_watch[2] = {-1, -1}; // the process guard's
std::atomic<bool> g_process_guard{false};
std::atomic<bool> g_interrupted{false};
struct sigaction g_previous_int, g_previous_term;

extern "C" void on_signal(int signal) {
    int saved = errno;
    unsigned char byte = static_cast<unsigned char>(signal);
    [[maybe_unused]] auto n = ::write(g_pipe[1], &byte, 1);
    if (g_watch[1] >= 0)
        n = ::write(g_watch[1], &byte, 1);
    errno = saved;
}

void install_handlers() {
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &action, &g_previous_int);
    ::sigaction(SIGTERM, &action, &g_previous_term);
}
} // namespace

void install_process_guard(std::chrono::milliseconds grace, std::function<void()> last_words) {
    if (g_process_guard.exchange(true))
        return;
    ::pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK);
    ::pipe2(g_watch, O_CLOEXEC); // the watchdog blocks on it
    install_handlers();
    std::thread([grace, last_words = std::move(last_words)] {
        unsigned char byte = 0;
        while (::read(g_watch[0], &byte, 1) != 1) {
        }
        g_interrupted = true;
        // The event loops stop their stages and finish in order; what cannot poll (curl, an
        // unpack, a compressor) is cut short here.
        std::this_thread::sleep_for(grace);
        signal_children(SIGTERM);
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        signal_children(SIGKILL);
        if (last_words)
            last_words();
        ::_exit(130);
    }).detach();
}

bool interrupted() {
    return g_interrupted;
}

InterruptGuard::InterruptGuard() {
    if (g_process_guard)
        return;
    ::pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK);
    install_handlers();
}

InterruptGuard::~InterruptGuard() {
    if (g_process_guard)
        return;
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
