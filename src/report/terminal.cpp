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

TerminalReporter::Entry* TerminalReporter::find(const std::string& name) {
    for (auto& entry : queue_)
        if (entry.name == name)
            return &entry;
    return nullptr;
}

void TerminalReporter::on_start(const exec::StageJob& job) {
    std::string line = fmt::format("{} {}", paint(kBold, "==>"), paint(kBold, job.name));
    if (style_.verbosity == Verbosity::verbose)
        line += " " + paint(kDim, util::shell_join(job.command.argv));
    queue_.push_back(Entry{job.name, line + "\n", "", std::nullopt, false});
    if (queue_.size() == 1)
        show_front();
}

void TerminalReporter::on_output(const exec::StageJob& job, std::string_view chunk) {
    Entry* entry = find(job.name);
    if (!entry)
        return;
    if (entry == &queue_.front() && style_.verbosity != Verbosity::quiet)
        write(chunk);
    else
        entry->held.append(chunk);
}

void TerminalReporter::on_finish(const exec::StageJob& job, const exec::StageResult& result) {
    Entry* entry = find(job.name);
    if (!entry) {
        queue_.push_back(Entry{job.name, "", "", std::nullopt, false});
        entry = &queue_.back();
    }
    const std::string time = util::format_duration_ms(result.duration_ms);
    std::string where = result.log.empty() ? "" : fmt::format(" (log: {})", result.log);
    switch (result.status) {
    case exec::StageStatus::passed:
        entry->finish_line =
            fmt::format("{} {} passed in {}\n", paint(kGreen, "ok "), job.name, time);
        break;
    case exec::StageStatus::skipped:
        entry->finish_line =
            fmt::format("{} {} skipped: {}\n", paint(kYellow, "-- "), job.name, result.reason);
        break;
    case exec::StageStatus::failed:
        entry->failed = true;
        entry->finish_line = fmt::format("{} {} failed in {}: {}{}\n", paint(kRed, "ERR"), job.name,
                                         time, result.reason, where);
        break;
    }
    flush_finished();
}

void TerminalReporter::show_front() {
    Entry& front = queue_.front();
    if (style_.verbosity == Verbosity::quiet)
        return; // -q holds everything; a failure shows its output when it ends
    write(front.start_line);
    write(front.held);
    front.held.clear();
}

void TerminalReporter::flush_finished() {
    while (!queue_.empty() && queue_.front().finish_line) {
        Entry& front = queue_.front();
        if (style_.verbosity == Verbosity::quiet) {
            if (front.failed)
                write(front.held + *front.finish_line);
        } else {
            write(*front.finish_line);
        }
        queue_.pop_front();
        if (!queue_.empty())
            show_front();
    }
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

void TransferLine::update(const std::string& what, std::int64_t done, std::int64_t total) {
    if (!enabled_)
        return;
    std::lock_guard lock(mutex_);
    auto now = std::chrono::steady_clock::now();
    auto [it, inserted] = transfers_.try_emplace(what);
    if (inserted)
        it->second.started = now;
    it->second.done = done;
    it->second.total = total;
    if (done >= total)
        transfers_.erase(it);
    if (now - last_draw_ < std::chrono::milliseconds(100) && !transfers_.empty())
        return;
    last_draw_ = now;
    std::string line;
    for (const auto& [name, t] : transfers_) {
        double seconds = std::max(1e-3, std::chrono::duration<double>(now - t.started).count());
        double rate = static_cast<double>(t.done) / seconds / 1e6;
        double eta = rate > 0 ? static_cast<double>(t.total - t.done) / 1e6 / rate : 0;
        line += fmt::format("  {} {:.1f}/{:.1f} MB {:.1f} MB/s ETA {:.0f}s", name,
                            static_cast<double>(t.done) / 1e6, static_cast<double>(t.total) / 1e6,
                            rate, eta);
    }
    std::fputs("\r\x1b[2K", out_);
    std::fputs(line.c_str(), out_);
    std::fflush(out_);
    drawn_ = !line.empty();
}

void TransferLine::clear() {
    std::lock_guard lock(mutex_);
    if (enabled_ && drawn_) {
        std::fputs("\r\x1b[2K", out_);
        std::fflush(out_);
        drawn_ = false;
    }
}

} // namespace rcd::report
