#include "rcd/exec/process.hpp"

#include "rcd/util/log.hpp"
#include "rcd/util/strings.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <mutex>
#include <poll.h>
#include <set>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace rcd::exec {

std::map<std::string, std::string>
child_environment(const std::map<std::string, std::string>& overrides) {
    std::map<std::string, std::string> env;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        std::string_view text(*entry);
        auto eq = text.find('=');
        if (eq != std::string_view::npos)
            env[std::string(text.substr(0, eq))] = std::string(text.substr(eq + 1));
    }
    for (const auto& [key, value] : overrides)
        env[key] = value;
    // rcd's registry credentials are for rcd: cargo, build scripts and tests never see them,
    // nor can a stage's own env: put them back.
    for (const char* secret : kSecretVariables)
        env.erase(secret);
    return env;
}

namespace {

// Every child's process group until its Process lets it go.
std::mutex g_children_mutex;
std::set<pid_t> g_children;

int decode_status(int status) {
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return 1;
}

std::vector<std::string> build_environment(const std::map<std::string, std::string>& overrides) {
    std::vector<std::string> out;
    for (const auto& [key, value] : child_environment(overrides))
        out.push_back(key + "=" + value);
    return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (auto& s : strings)
        out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

} // namespace

Result<Process> Process::spawn(const Command& command,
                               const std::optional<std::filesystem::path>& stdout_file) {
    if (command.argv.empty())
        return fail(ExitCode::usage, "cannot run an empty command", "give the stage a 'run'");
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0)
        return fail(ExitCode::filesystem,
                    fmt::format("cannot create a pipe: {}", std::strerror(errno)),
                    "the system may be out of file descriptors");

    int input_fds[2] = {-1, -1};
    if (command.input && ::pipe2(input_fds, O_CLOEXEC) != 0) {
        ::close(pipe_fds[0]);
        ::close(pipe_fds[1]);
        return fail(ExitCode::filesystem,
                    fmt::format("cannot create a pipe: {}", std::strerror(errno)),
                    "the system may be out of file descriptors");
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (command.input)
        posix_spawn_file_actions_adddup2(&actions, input_fds[0], STDIN_FILENO);
    else
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    if (stdout_file)
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, stdout_file->c_str(),
                                         O_WRONLY | O_CREAT | O_TRUNC, 0644);
    else
        posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
    // Nothing else: not the registry connections rcd keeps open (and curl's own descriptors),
    // nor any descriptor a library opened without O_CLOEXEC.
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    if (!command.cwd.empty())
        posix_spawn_file_actions_addchdir_np(&actions, command.cwd.c_str());

    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    sigset_t empty_mask, defaults;
    sigemptyset(&empty_mask);
    sigemptyset(&defaults);
    for (int sig : {SIGINT, SIGTERM, SIGPIPE, SIGCHLD, SIGHUP, SIGQUIT})
        sigaddset(&defaults, sig);
    posix_spawnattr_setsigmask(&attributes, &empty_mask);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    posix_spawnattr_setpgroup(&attributes, 0);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                              POSIX_SPAWN_SETSIGDEF);

    std::vector<std::string> argv_storage = command.argv;
    std::vector<std::string> env_storage = build_environment(command.env);
    auto argv = pointers(argv_storage);
    auto envp = pointers(env_storage);

    // posix_spawnp searches rcd's PATH; a stage's own PATH override applies to its children.
    pid_t pid = -1;
    int rc = ::posix_spawnp(&pid, argv[0], &actions, &attributes, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    ::close(pipe_fds[1]);
    if (command.input) {
        ::close(input_fds[0]);
        if (rc == 0) {
            // Inputs are a line or two (a registry host): they fit in the pipe's buffer.
            [[maybe_unused]] auto n =
                ::write(input_fds[1], command.input->data(), command.input->size());
        }
        ::close(input_fds[1]);
    }
    if (rc != 0) {
        ::close(pipe_fds[0]);
        if (rc == ENOENT)
            return fail(ExitCode::stage_failed,
                        fmt::format("command not found: {}", command.argv[0]),
                        "install it, or check the stage's 'run' and your PATH");
        return fail(ExitCode::stage_failed,
                    fmt::format("cannot start {}: {}", command.argv[0], std::strerror(rc)),
                    "check the stage's 'run'");
    }
    ::fcntl(pipe_fds[0], F_SETFL, ::fcntl(pipe_fds[0], F_GETFL) | O_NONBLOCK);

    {
        std::lock_guard lock(g_children_mutex);
        g_children.insert(pid);
    }
    log::debug("started pid {}: {}{}", pid, util::shell_join(command.argv),
               command.cwd.empty() ? "" : fmt::format(" (in {})", command.cwd.string()));
    Process process;
    process.pid_ = pid;
    process.output_fd_ = pipe_fds[0];
    process.pid_fd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    return process;
}

Process::Process(Process&& other) noexcept {
    *this = std::move(other);
}

Process& Process::operator=(Process&& other) noexcept {
    if (this != &other) {
        release();
        pid_ = std::exchange(other.pid_, -1);
        output_fd_ = std::exchange(other.output_fd_, -1);
        pid_fd_ = std::exchange(other.pid_fd_, -1);
        exit_code_ = std::exchange(other.exit_code_, std::nullopt);
    }
    return *this;
}

Process::~Process() {
    release();
}

void Process::release() {
    if (pid_ > 0 && !exit_code_) {
        signal_group(SIGKILL);
        wait();
    }
    if (pid_ > 0) {
        signal_group(SIGKILL); // whatever the leader left behind in its group
        std::lock_guard lock(g_children_mutex);
        g_children.erase(pid_);
    }
    if (output_fd_ >= 0)
        ::close(output_fd_);
    if (pid_fd_ >= 0)
        ::close(pid_fd_);
    pid_ = -1;
    output_fd_ = pid_fd_ = -1;
}

std::string Process::read_available(bool& open) {
    std::string out;
    char buffer[65536];
    open = true;
    for (;;) {
        ssize_t n = ::read(output_fd_, buffer, sizeof buffer);
        if (n > 0) {
            out.append(buffer, static_cast<std::size_t>(n));
            continue;
        }
        if (n == 0)
            open = false;
        else if (errno == EINTR)
            continue;
        else if (errno != EAGAIN)
            open = false;
        return out;
    }
}

void signal_children(int signal) {
    std::lock_guard lock(g_children_mutex);
    for (pid_t pid : g_children)
        ::kill(-pid, signal);
}

void Process::signal_group(int signal) const {
    if (pid_ > 0)
        ::kill(-pid_, signal);
}

std::optional<int> Process::try_wait() {
    if (exit_code_ || pid_ <= 0)
        return exit_code_;
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_)
        reaped(status);
    return exit_code_;
}

void Process::reaped(int status) {
    exit_code_ = decode_status(status);
    log::debug("pid {} exited with {}", pid_, *exit_code_);
}

int Process::wait() {
    while (!exit_code_) {
        int status = 0;
        pid_t r = ::waitpid(pid_, &status, 0);
        if (r == pid_)
            reaped(status);
        else if (r < 0 && errno != EINTR)
            exit_code_ = 1;
    }
    return *exit_code_;
}

Result<Captured> capture(const Command& command, int interrupt_fd) {
    RCD_ASSIGN(auto process, Process::spawn(command));
    Captured captured;
    bool open = true;
    std::optional<std::chrono::steady_clock::time_point> stopped;
    while (open) {
        pollfd fds[2] = {{process.output_fd(), POLLIN, 0}, {interrupt_fd, POLLIN, 0}};
        // The signal byte stays in the pipe, for the caller to take.
        const bool watch = interrupt_fd >= 0 && !stopped;
        ::poll(fds, watch ? 2 : 1, stopped ? 500 : -1);
        if (watch && (fds[1].revents & POLLIN)) {
            process.signal_group(SIGTERM);
            stopped = std::chrono::steady_clock::now();
        }
        if (stopped && std::chrono::steady_clock::now() - *stopped > std::chrono::seconds(5))
            process.signal_group(SIGKILL);
        captured.output += process.read_available(open);
    }
    captured.exit_code = process.wait();
    if (stopped)
        return fail(ExitCode::interrupted,
                    fmt::format("interrupted while running {}", util::shell_join(command.argv)),
                    "run the command again to start over");
    return captured;
}

} // namespace rcd::exec
