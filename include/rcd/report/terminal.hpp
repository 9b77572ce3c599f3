// Human output on stderr: a line as each stage starts and ends, its output live, a summary.
#pragma once

#include "rcd/exec/scheduler.hpp"
#include "rcd/report/run_report.hpp"

#include <cstdio>
#include <map>
#include <string>

namespace rcd::report {

enum class Verbosity { quiet, normal, verbose };

struct TerminalStyle {
    Verbosity verbosity = Verbosity::normal;
    bool color = false;
    bool prefix_lines = false; // several stages at once: each output line names its stage
};

// Whether to colour: --color always|never|auto, NO_COLOR, CI mode and whether fd is a TTY.
bool use_color(const std::string& mode, bool ci, int fd);

class TerminalReporter : public exec::StageObserver {
  public:
    TerminalReporter(TerminalStyle style, std::FILE* out = stderr);

    void on_start(const exec::StageJob& job) override;
    void on_output(const exec::StageJob& job, std::string_view chunk) override;
    void on_finish(const exec::StageJob& job, const exec::StageResult& result) override;

    void note(const std::string& message); // an rcd line that -q hides
    void summary(const RunReport& report);
    void error(const Error& error);

  private:
    std::string paint(const char* code, const std::string& text) const;
    void write(std::string_view text);

    TerminalStyle style_;
    std::FILE* out_;
    std::map<std::string, std::string> partial_lines_; // with prefix_lines: unfinished lines
    std::map<std::string, std::string> held_output_;   // with -q: shown only if the stage fails
};

} // namespace rcd::report
