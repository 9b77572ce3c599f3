// Runs a pipeline's stages as processes, in `needs` order, several at once when asked.
#pragma once

#include "rcd/exec/process.hpp"
#include "rcd/exec/signals.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rcd::exec {

enum class StageStatus { passed, failed, skipped };
const char* status_name(StageStatus status);

// A descriptor a StageJob can wait on (its ready_fd): open() makes it readable for good.
class Gate {
  public:
    Gate();
    ~Gate();
    Gate(const Gate&) = delete;
    Gate& operator=(const Gate&) = delete;

    int fd() const { return fd_; }
    void open() const;

  private:
    int fd_;
};

struct StageJob {
    std::string name;
    Command command;
    std::optional<std::chrono::milliseconds> timeout;
    std::vector<std::string> needs;         // names of earlier jobs of the same run
    std::filesystem::path log_path;         // the stage's whole output, ANSI codes removed
    std::optional<std::string> skip_reason; // set: reported as skipped, never run
    int ready_fd = -1; // set: also waits until this is readable (the cache restored its profile)
    // How observers read the output ("cargo-json", "go-test-json": lang::kCargoJson, ...);
    // empty: plain text.
    std::string format;
};

struct StageResult {
    std::string name;
    StageStatus status = StageStatus::skipped;
    std::optional<int> exit_code;
    long long duration_ms = 0;
    std::string log; // path of the log file, empty when the stage never ran
    std::string reason;
};

// What a reporter sees of a run, as it happens.
class StageObserver {
  public:
    virtual ~StageObserver() = default;
    virtual void on_start(const StageJob& job) = 0;
    virtual void on_output(const StageJob& job, std::string_view chunk) = 0;
    virtual void on_finish(const StageJob& job, const StageResult& result) = 0;
    virtual void on_tick() {} // at least every tick_interval while stages run
};

struct RunOptions {
    int jobs = 1;
    bool keep_going = false;
    std::chrono::milliseconds kill_grace{5000}; // between SIGTERM and SIGKILL
    std::chrono::milliseconds tick_interval{100};
};

struct RunOutcome {
    std::vector<StageResult> results; // one per job, in the jobs' order
    int interrupt_signal = 0;         // SIGINT or SIGTERM when the run was interrupted
};

// `jobs` must be in an order where each job comes after those it needs.
RunOutcome run_stages(const std::vector<StageJob>& jobs, const RunOptions& options,
                      StageObserver& observer, InterruptGuard& interrupts);

} // namespace rcd::exec
