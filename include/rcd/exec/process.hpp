// Child processes: argv only, no shell, each in its own process group.
#pragma once

#include "rcd/util/result.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace rcd::exec {

struct Command {
    std::vector<std::string> argv;
    std::map<std::string, std::string> env; // added to, or replacing, rcd's own environment
    std::filesystem::path cwd;
    std::optional<std::string> input; // written to stdin (small inputs); /dev/null when unset
};

// Variables that hold rcd's own secrets: no child ever sees them.
inline constexpr const char* kSecretVariables[] = {"RCD_REGISTRY_USERNAME",
                                                   "RCD_REGISTRY_PASSWORD"};

// rcd's own environment with `overrides` applied, less kSecretVariables: what a child started
// with them sees.
std::map<std::string, std::string>
child_environment(const std::map<std::string, std::string>& overrides);

// A started child whose stdout and stderr arrive, merged, on one pipe. Destroying it while
// the child runs kills the whole process group, so no path leaves an orphan behind.
class Process {
  public:
    // With `stdout_file` (an absolute path, created or truncated), stdout goes there and only
    // stderr to the pipe: for a child whose stdout is a document and whose stderr is for people.
    static Result<Process> spawn(const Command& command,
                                 const std::optional<std::filesystem::path>& stdout_file = {});

    Process(Process&& other) noexcept;
    Process& operator=(Process&& other) noexcept;
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;
    ~Process();

    int output_fd() const { return output_fd_; }
    int exit_fd() const { return pid_fd_; } // readable once the child has exited; -1 if unknown

    // Reads what the pipe holds now without blocking; an empty string with `open` false is EOF.
    std::string read_available(bool& open);

    // Sends a signal to every process in the child's group.
    void signal_group(int signal) const;

    // The exit code (128 + signal for a killed child) once the child has exited.
    std::optional<int> try_wait();
    int wait();

  private:
    void reaped(int status); // records the exit code of a waited-for child
    Process() = default;
    void release();

    pid_t pid_ = -1;
    int output_fd_ = -1;
    int pid_fd_ = -1;
    std::optional<int> exit_code_;
};

// Sends `signal` to the process group of every child that is still running: for the process
// guard (signals.hpp), when rcd must stop at once.
void signal_children(int signal);

struct Captured {
    int exit_code = 0;
    std::string output; // stdout and stderr, merged
};

// Runs a command to completion and returns its output: for helpers like cargo metadata. When
// `interrupt_fd` (an InterruptGuard's) becomes readable, the command's process group is
// stopped (SIGTERM, then SIGKILL after 5 s) and the result is an `interrupted` error.
Result<Captured> capture(const Command& command, int interrupt_fd = -1);

} // namespace rcd::exec
