#include "rcd/exec/scheduler.hpp"

#include "rcd/util/duration.hpp"
#include "rcd/util/strings.hpp"

#include <algorithm>
#include <csignal>
#include <cstring>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace rcd::exec {

const char* status_name(StageStatus status) {
    switch (status) {
    case StageStatus::passed:
        return "passed";
    case StageStatus::failed:
        return "failed";
    case StageStatus::skipped:
        return "skipped";
    }
    return "skipped";
}

Gate::Gate() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

Gate::~Gate() {
    if (fd_ >= 0)
        ::close(fd_);
}

void Gate::open() const {
    std::uint64_t one = 1; // never read back, so it stays readable
    [[maybe_unused]] auto n = ::write(fd_, &one, sizeof one);
}

namespace {

using Clock = std::chrono::steady_clock;

enum class State { pending, running, done };

struct Running {
    Running(std::size_t i, Process p, Clock::time_point t)
        : index(i), process(std::move(p)), started(t) {}

    std::size_t index;
    Process process;
    std::ofstream log;
    std::filesystem::path log_temp;
    Clock::time_point started;
    bool output_open = true;
    std::optional<Clock::time_point> terminated_at; // when SIGTERM went to the group
    bool timed_out = false;
    int interrupted_by = 0;
    std::string stopped_because; // fail-fast: another stage failed while this one ran
};

std::string signal_name(int sig) {
    return fmt::format("SIG{}", sigabbrev_np(sig));
}

class Runner {
  public:
    Runner(const std::vector<StageJob>& jobs, const RunOptions& options, StageObserver& observer,
           InterruptGuard& interrupts)
        : jobs_(jobs), options_(options), observer_(observer), interrupts_(interrupts),
          states_(jobs.size(), State::pending), results_(jobs.size()), broken_(jobs.size(), false) {
        for (std::size_t i = 0; i < jobs.size(); ++i) {
            index_[jobs[i].name] = i;
            results_[i].name = jobs[i].name;
        }
    }

    RunOutcome run() {
        for (;;) {
            launch_ready();
            if (running_.empty() && gated().empty())
                break;
            wait_for_events();
        }
        for (std::size_t i = 0; i < jobs_.size(); ++i)
            if (states_[i] == State::pending)
                finish_without_running(i, not_run_reason());
        return RunOutcome{std::move(results_), signal_};
    }

  private:
    static bool readable(int fd) {
        pollfd p{fd, POLLIN, 0};
        return ::poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
    }

    // The descriptors that pending jobs still wait for; none once nothing more will start.
    std::vector<int> gated() const {
        std::vector<int> fds;
        for (std::size_t i = 0; i < jobs_.size() && !stop_launching_; ++i)
            if (states_[i] == State::pending && jobs_[i].ready_fd >= 0 &&
                !readable(jobs_[i].ready_fd))
                fds.push_back(jobs_[i].ready_fd);
        return fds;
    }

    std::string not_run_reason() const {
        if (signal_ != 0)
            return fmt::format("not run: interrupted by {}", signal_name(signal_));
        if (!first_failure_.empty())
            return fmt::format("not run: {} failed", first_failure_);
        return "not run";
    }

    void finish_without_running(std::size_t i, std::string reason) {
        results_[i].status = StageStatus::skipped;
        results_[i].reason = std::move(reason);
        states_[i] = State::done;
        observer_.on_finish(jobs_[i], results_[i]);
    }

    void record_failure(std::size_t i) {
        broken_[i] = true;
        if (first_failure_.empty())
            first_failure_ = jobs_[i].name;
        if (options_.keep_going)
            return;
        stop_launching_ = true;
        // Fail fast: the run has failed, so what runs beside the failed stage is stopped too.
        for (auto& r : running_) {
            if (r.index == i || r.terminated_at)
                continue;
            r.stopped_because = jobs_[i].name;
            r.terminated_at = Clock::now();
            r.process.signal_group(SIGTERM);
        }
    }

    void launch_ready() {
        bool changed = true;
        while (changed && !stop_launching_) {
            changed = false;
            for (std::size_t i = 0; i < jobs_.size() && !stop_launching_; ++i) {
                if (states_[i] != State::pending)
                    continue;
                std::optional<std::string> blocked_by;
                bool ready = true;
                for (const auto& need : jobs_[i].needs) {
                    auto it = index_.find(need);
                    if (it == index_.end())
                        continue;
                    if (states_[it->second] != State::done)
                        ready = false;
                    else if (broken_[it->second] && !blocked_by)
                        blocked_by = need; // the first, in the order `needs` lists them
                }
                if (!ready)
                    continue;
                if (blocked_by) {
                    broken_[i] = true;
                    finish_without_running(
                        i, fmt::format("needs {}, which did not pass", *blocked_by));
                    changed = true;
                } else if (jobs_[i].skip_reason) {
                    finish_without_running(i, *jobs_[i].skip_reason);
                    changed = true;
                } else if (jobs_[i].ready_fd >= 0 && !readable(jobs_[i].ready_fd)) {
                    continue;
                } else if (static_cast<int>(running_.size()) < std::max(1, options_.jobs)) {
                    start(i);
                    changed = true;
                }
            }
        }
    }

    void start(std::size_t i) {
        const StageJob& job = jobs_[i];
        states_[i] = State::running;
        observer_.on_start(job);
        auto started = Clock::now();
        auto process = Process::spawn(job.command);
        if (!process) {
            results_[i].status = StageStatus::failed;
            results_[i].exit_code = 127;
            results_[i].reason = process.error().message;
            states_[i] = State::done;
            observer_.on_output(job, process.error().message + "\n");
            observer_.on_finish(job, results_[i]);
            record_failure(i);
            return;
        }
        Running r(i, std::move(*process), started);
        if (!job.log_path.empty()) {
            std::error_code ec;
            std::filesystem::create_directories(job.log_path.parent_path(), ec);
            r.log_temp = job.log_path;
            r.log_temp += ".tmp";
            r.log.open(r.log_temp, std::ios::binary | std::ios::trunc);
        }
        running_.push_back(std::move(r));
    }

    std::chrono::milliseconds poll_timeout() const {
        auto timeout = options_.tick_interval;
        auto now = Clock::now();
        for (const auto& r : running_) {
            const auto& job = jobs_[r.index];
            if (r.terminated_at) {
                auto left = *r.terminated_at + options_.kill_grace - now;
                timeout =
                    std::min(timeout, std::chrono::duration_cast<std::chrono::milliseconds>(left));
            } else if (job.timeout) {
                auto left = r.started + *job.timeout - now;
                timeout =
                    std::min(timeout, std::chrono::duration_cast<std::chrono::milliseconds>(left));
            }
        }
        return std::max(timeout, std::chrono::milliseconds(0));
    }

    void wait_for_events() {
        std::vector<pollfd> fds;
        fds.push_back({interrupts_.fd(), POLLIN, 0});
        for (const auto& r : running_) {
            fds.push_back({r.output_open ? r.process.output_fd() : -1, POLLIN, 0});
            fds.push_back({r.process.exit_fd(), POLLIN, 0});
        }
        for (int fd : gated())
            fds.push_back({fd, POLLIN, 0});
        int n = ::poll(fds.data(), fds.size(), static_cast<int>(poll_timeout().count()));
        if (n < 0 && errno != EINTR)
            ::poll(nullptr, 0, 10); // avoid a busy loop on an unexpected poll failure
        if (fds[0].revents & POLLIN)
            handle_signals();
        for (auto& r : running_)
            drain(r);
        enforce_timeouts();
        reap();
        observer_.on_tick();
    }

    void handle_signals() {
        while (int sig = interrupts_.take_signal()) {
            // A second signal means "now": escalate to SIGKILL.
            int forward = signal_ != 0 ? SIGKILL : sig;
            if (signal_ == 0)
                signal_ = sig;
            stop_launching_ = true;
            for (auto& r : running_) {
                r.process.signal_group(forward);
                r.interrupted_by = signal_;
                if (!r.terminated_at)
                    r.terminated_at = Clock::now();
            }
        }
    }

    void drain(Running& r) {
        if (!r.output_open)
            return;
        bool open = true;
        std::string chunk = r.process.read_available(open);
        r.output_open = open;
        if (chunk.empty())
            return;
        observer_.on_output(jobs_[r.index], chunk);
        if (r.log.is_open())
            r.log << util::strip_ansi(chunk);
    }

    void enforce_timeouts() {
        auto now = Clock::now();
        for (auto& r : running_) {
            const auto& job = jobs_[r.index];
            if (r.terminated_at) {
                if (now >= *r.terminated_at + options_.kill_grace)
                    r.process.signal_group(SIGKILL);
            } else if (job.timeout && now >= r.started + *job.timeout) {
                r.timed_out = true;
                r.terminated_at = now;
                r.process.signal_group(SIGTERM);
            }
        }
    }

    void reap() {
        for (auto it = running_.begin(); it != running_.end();) {
            auto code = it->process.try_wait();
            if (!code) {
                ++it;
                continue;
            }
            drain(*it); // what the child wrote before it exited is still in the pipe
            finish(*it, *code);
            it = running_.erase(it); // the Process kills anything left in its group
        }
    }

    void finish(Running& r, int code) {
        const StageJob& job = jobs_[r.index];
        StageResult& result = results_[r.index];
        result.exit_code = code;
        result.duration_ms = util::elapsed_ms(r.started);
        if (r.log.is_open()) {
            r.log.close();
            std::error_code ec;
            std::filesystem::rename(r.log_temp, job.log_path, ec);
            result.log = job.log_path.string();
        }
        if (r.timed_out) {
            result.status = StageStatus::failed;
            result.reason =
                fmt::format("timed out after {}", util::format_duration_ms(job.timeout->count()));
        } else if (!r.stopped_because.empty()) {
            result.status = StageStatus::skipped;
            result.reason = fmt::format("stopped: {} failed", r.stopped_because);
        } else if (r.interrupted_by != 0) {
            result.status = StageStatus::failed;
            result.reason = fmt::format("interrupted by {}", signal_name(r.interrupted_by));
        } else if (code == 0) {
            result.status = StageStatus::passed;
        } else {
            result.status = StageStatus::failed;
            result.reason = code > 128 ? fmt::format("killed by {}", signal_name(code - 128))
                                       : fmt::format("exit code {}", code);
        }
        states_[r.index] = State::done;
        observer_.on_finish(job, result);
        if (result.status == StageStatus::failed)
            record_failure(r.index);
    }

    const std::vector<StageJob>& jobs_;
    const RunOptions& options_;
    StageObserver& observer_;
    InterruptGuard& interrupts_;
    std::vector<State> states_;
    std::vector<StageResult> results_;
    std::vector<bool> broken_; // failed, or not run because something it needs failed
    std::map<std::string, std::size_t> index_;
    std::vector<Running> running_;
    bool stop_launching_ = false;
    std::string first_failure_;
    int signal_ = 0;
};

} // namespace

RunOutcome run_stages(const std::vector<StageJob>& jobs, const RunOptions& options,
                      StageObserver& observer, InterruptGuard& interrupts) {
    return Runner(jobs, options, observer, interrupts).run();
}

} // namespace rcd::exec
