// Human output on stderr: a line as each stage starts and ends, its output live, a summary.
// With several stages at once, output is kept in order like `make -O`: the oldest running
// stage streams live, the others are held and shown whole, in start order, when it ends.
#pragma once

#include "rcd/exec/scheduler.hpp"
#include "rcd/report/diagnostics.hpp"
#include "rcd/report/gotest.hpp"
#include "rcd/report/run_report.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

namespace rcd::report {

enum class Verbosity { quiet, normal, verbose };

// CI mode: no colour or spinners, and elapsed time on rcd's own lines; GitHub Actions and GitLab
// also get their own grouping of each stage's output.
enum class CiFormat { none, plain, github, gitlab };

// GITHUB_ACTIONS=true, else GITLAB_CI=true, else plain; none outside CI mode.
CiFormat detect_ci_format(bool ci);

struct TerminalStyle {
    Verbosity verbosity = Verbosity::normal;
    bool color = false;
    CiFormat ci = CiFormat::none;
    // A stage's output is read as its job's `format` says: cargo's JSON messages and go test's
    // events are shown as the text they stand for, and under GitHub Actions give annotations.
    std::string annotation_root; // the workspace root relative to the repository root, or ""
    std::string module_path;     // go.mod's module, for go test's packages' directories
    // A terminal (not CI, not -q): a spinner with the live stage's elapsed time while it is
    // silent.
    bool spinner = false;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

// Whether to colour: --color always|never|auto, NO_COLOR, CI mode and whether fd is a TTY.
bool use_color(const std::string& mode, bool ci, int fd);

class TerminalReporter : public exec::StageObserver {
  public:
    TerminalReporter(TerminalStyle style, std::FILE* out = stderr);
    ~TerminalReporter() override;
    TerminalReporter(const TerminalReporter&) = delete;
    TerminalReporter& operator=(const TerminalReporter&) = delete;

    void on_start(const exec::StageJob& job) override;
    void on_output(const exec::StageJob& job, std::string_view chunk) override;
    void on_finish(const exec::StageJob& job, const exec::StageResult& result) override;

    void note(const std::string& message);   // an rcd line that -q hides
    void detail(const std::string& message); // a decision, shown with -v only
    void summary(const RunReport& report);
    void error(const Error& error);

  private:
    struct Entry {
        std::string name;
        std::string start_line; // empty for a stage skipped without starting
        std::string held;       // output not shown yet
        std::optional<std::string> finish_line;
        bool failed = false;
        std::string partial;        // the start of a line not complete yet (JSON formats)
        std::optional<Panic> panic; // a test's panic whose message lines are still arriving
        std::string format;         // the job's: how its output is read
        std::shared_ptr<GoTestRenderer> go_test; // format go-test-json
    };

    std::string paint(const char* code, const std::string& text) const;
    std::string stamp(const std::string& line) const; // CI: "[  12.3s] " before rcd's lines
    std::string rendered(Entry& entry, std::string_view chunk); // what the output shows
    // GitHub: a test's panic, as an annotation, once its message is complete.
    std::string panic_lines(Entry& entry, const std::string& line);
    std::string end_panic(Entry& entry);
    std::string once(const std::string& key, std::optional<std::string> annotation);
    std::string section_end(const Entry& entry, const exec::StageResult& result) const;
    void write(std::string_view text);
    Entry* find(const std::string& name);
    void show_front(); // the front entry becomes live: its start line and held output
    void flush_finished();
    void set_live(const std::string& name); // the stage the spinner names; "" for none
    void spin(std::stop_token stop);

    TerminalStyle style_;
    std::FILE* out_;
    std::deque<Entry> queue_; // stages not yet shown whole, in start order; the front is live
    // Annotations already made: clippy reports a warning for the lib and the lib-test build,
    // and test and doctest repeat it; GitHub gets each once.
    std::set<std::string> annotated_;

    // Shared with the spinner's thread.
    std::mutex mutex_;
    std::string live_;
    std::chrono::steady_clock::time_point live_since_;
    std::chrono::steady_clock::time_point last_write_;
    bool at_line_start_ = true;
    bool spinner_drawn_ = false;
    std::condition_variable_any ticks_;
    std::jthread spinner_; // last: stopped and joined first
};

// One status line that rewrites itself on a terminal: bytes, total and rate of each transfer
// under way. Safe to call from several threads; draws at most ten times a second.
class TransferLine {
  public:
    explicit TransferLine(bool enabled, std::FILE* out = stderr) : enabled_(enabled), out_(out) {}
    ~TransferLine() { clear(); }

    void update(const std::string& what, std::int64_t done, std::int64_t total);
    void clear();

  private:
    struct Transfer {
        std::int64_t done = 0;
        std::int64_t total = 0;
        std::chrono::steady_clock::time_point started;
    };
    bool enabled_;
    std::FILE* out_;
    std::mutex mutex_;
    std::map<std::string, Transfer> transfers_;
    std::chrono::steady_clock::time_point last_draw_{};
    bool drawn_ = false;
};

} // namespace rcd::report
