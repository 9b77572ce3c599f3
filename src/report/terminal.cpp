#include "rcd/report/terminal.hpp"

#include "rcd/util/strings.hpp"

#include <cstdlib>
#include <fmt/format.h>
#include <unistd.h>

namespace rcd::report {

namespace {
constexpr const char* kGreen = "32";
constexpr const char* kRed = "31";
constexpr const char* kYellow = "33";
constexpr const char* kBold = "1";
constexpr const char* kDim = "2";
} // namespace

bool use_color(const std::string& mode, bool ci, int fd) {
    if (mode == "always")
        return true;
    if (mode == "never")
        return false;
    const char* no_color = std::getenv("NO_COLOR");
    if (no_color && *no_color)
        return false;
    return !ci && ::isatty(fd);
}

TerminalReporter::TerminalReporter(TerminalStyle style, std::FILE* out)
    : style_(style), out_(out) {}

std::string TerminalReporter::paint(const char* code, const std::string& text) const {
    if (!style_.color)
        return text;
    return fmt::format("\x1b[{}m{}\x1b[0m", code, text);
}

void TerminalReporter::write(std::string_view text) {
    std::fwrite(text.data(), 1, text.size(), out_);
    std::fflush(out_);
}

void TerminalReporter::note(const std::string& message) {
    if (style_.verbosity != Verbosity::quiet)
        write(fmt::format("{}\n", message));
}

void TerminalReporter::on_start(const exec::StageJob& job) {
    if (style_.verbosity == Verbosity::quiet)
        return;
    std::string line = fmt::format("{} {}", paint(kBold, "==>"), paint(kBold, job.name));
    if (style_.verbosity == Verbosity::verbose)
        line += " " + paint(kDim, util::shell_join(job.command.argv));
    write(line + "\n");
}

void TerminalReporter::on_output(const exec::StageJob& job, std::string_view chunk) {
    if (style_.verbosity == Verbosity::quiet) {
        held_output_[job.name].append(chunk);
        return;
    }
    if (!style_.prefix_lines) {
        write(chunk);
        return;
    }
    std::string& pending = partial_lines_[job.name];
    pending.append(chunk);
    std::size_t start = 0;
    for (std::size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1)
        write(fmt::format("{} {}\n", paint(kDim, job.name + " |"),
                          std::string_view(pending).substr(start, nl - start)));
    pending.erase(0, start);
}

void TerminalReporter::on_finish(const exec::StageJob& job, const exec::StageResult& result) {
    if (auto it = partial_lines_.find(job.name); it != partial_lines_.end()) {
        if (!it->second.empty())
            write(fmt::format("{} {}\n", paint(kDim, job.name + " |"), it->second));
        partial_lines_.erase(it);
    }
    const std::string time = util::format_duration_ms(result.duration_ms);
    switch (result.status) {
    case exec::StageStatus::passed:
        if (style_.verbosity != Verbosity::quiet)
            write(fmt::format("{} {} passed in {}\n", paint(kGreen, "ok "), job.name, time));
        break;
    case exec::StageStatus::skipped:
        if (style_.verbosity != Verbosity::quiet)
            write(
                fmt::format("{} {} skipped: {}\n", paint(kYellow, "-- "), job.name, result.reason));
        break;
    case exec::StageStatus::failed: {
        if (auto held = held_output_.find(job.name); held != held_output_.end())
            write(held->second);
        std::string where = result.log.empty() ? "" : fmt::format(" (log: {})", result.log);
        write(fmt::format("{} {} failed in {}: {}{}\n", paint(kRed, "ERR"), job.name, time,
                          result.reason, where));
        break;
    }
    }
    held_output_.erase(job.name);
}

void TerminalReporter::summary(const RunReport& report) {
    if (style_.verbosity != Verbosity::quiet && !report.stages.empty()) {
        std::size_t width = 5;
        for (const auto& s : report.stages)
            width = std::max(width, s.name.size());
        std::string table =
            fmt::format("\n  {:<{}}  {:<7}  {:>7}  {}\n", "stage", width, "status", "time", "note");
        for (const auto& s : report.stages) {
            std::string status = exec::status_name(s.status);
            const char* colour = s.status == exec::StageStatus::passed   ? kGreen
                                 : s.status == exec::StageStatus::failed ? kRed
                                                                         : kYellow;
            std::string time = s.status == exec::StageStatus::skipped
                                   ? "-"
                                   : util::format_duration_ms(s.duration_ms);
            table += fmt::format("  {:<{}}  {}  {:>7}  {}\n", s.name, width,
                                 paint(colour, fmt::format("{:<7}", status)), time, s.reason);
        }
        write(table + "\n");
    }
    std::string verdict = report.ok() ? paint(kGreen, "passed") : paint(kRed, "failed");
    write(fmt::format("rcd: {} {} in {}\n", report.command, verdict,
                      util::format_duration_ms(report.duration_ms)));
}

void TerminalReporter::error(const Error& error) {
    write(fmt::format("{} {}\n", paint(kRed, "rcd: error:"), error.message));
    if (!error.hint.empty())
        write(fmt::format("  {} {}\n", paint(kBold, "hint:"), error.hint));
}

} // namespace rcd::report
