#include "rcd/report/terminal.hpp"

#include "rcd/util/duration.hpp"
#include "rcd/util/fs.hpp"
#include "rcd/util/strings.hpp"

#include <algorithm>
#include <cctype>
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

CiFormat detect_ci_format(bool ci) {
    if (!ci)
        return CiFormat::none;
    auto is_true = [](const char* name) {
        const char* value = std::getenv(name);
        return value && std::string_view(value) == "true";
    };
    if (is_true("GITHUB_ACTIONS"))
        return CiFormat::github;
    if (is_true("GITLAB_CI"))
        return CiFormat::gitlab;
    return CiFormat::plain;
}

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

TerminalReporter::~TerminalReporter() {
    if (spinner_.joinable()) {
        spinner_.request_stop();
        spinner_.join();
    }
    write(""); // clears a spinner still drawn
}

void TerminalReporter::set_live(const std::string& name) {
    std::lock_guard lock(mutex_);
    live_ = name;
    live_since_ = std::chrono::steady_clock::now();
}

void TerminalReporter::spin(std::stop_token stop) {
    static constexpr std::string_view frames[] = {"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"};
    std::size_t frame = 0;
    std::unique_lock lock(mutex_);
    while (!stop.stop_requested()) {
        // Wakes at once when stopped, so rcd never waits for the spinner at exit.
        if (ticks_.wait_for(lock, stop, std::chrono::milliseconds(100), [] { return false; });
            stop.stop_requested())
            break;
        auto now = std::chrono::steady_clock::now();
        // Only over silence, and never in the middle of a line of the stage's own output.
        if (live_.empty() || !at_line_start_ || now - last_write_ < std::chrono::milliseconds(300))
            continue;
        auto seconds = std::chrono::duration<double>(now - live_since_).count();
        std::string line = fmt::format("\r{} {} {:.1f}s\x1b[K", frames[frame++ % 10],
                                       paint(kBold, live_), seconds);
        std::fwrite(line.data(), 1, line.size(), out_);
        std::fflush(out_);
        spinner_drawn_ = true;
    }
}

std::string TerminalReporter::paint(const char* code, const std::string& text) const {
    if (!style_.color)
        return text;
    return fmt::format("\x1b[{}m{}\x1b[0m", code, text);
}

void TerminalReporter::write(std::string_view text) {
    std::lock_guard lock(mutex_);
    if (spinner_drawn_) {
        std::fputs("\r\x1b[K", out_);
        spinner_drawn_ = false;
    }
    std::fwrite(text.data(), 1, text.size(), out_);
    std::fflush(out_);
    if (!text.empty()) {
        at_line_start_ = text.back() == '\n';
        last_write_ = std::chrono::steady_clock::now();
    }
}

std::string TerminalReporter::stamp(const std::string& line) const {
    if (style_.ci == CiFormat::none)
        return line;
    auto ms = util::elapsed_ms(style_.started);
    return fmt::format("[{:>7.1f}s] {}", static_cast<double>(ms) / 1000.0, line);
}

void TerminalReporter::note(const std::string& message) {
    if (style_.verbosity != Verbosity::quiet)
        write(stamp(message) + "\n");
}

void TerminalReporter::detail(const std::string& message) {
    if (style_.verbosity == Verbosity::verbose)
        write(stamp(message) + "\n");
}

namespace {

// GitLab section names allow letters, digits, '_', '.' and '-'.
std::string section_name(const std::string& stage) {
    std::string out;
    for (char c : stage)
        out += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' ? c : '_';
    return "rcd_" + out;
}

long long unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// The last lines of a file, for a failed stage's output outside its collapsed section.
std::string tail_of(const std::string& path, std::size_t lines) {
    auto text = util::read_file(path);
    if (!text)
        return {};
    auto all = util::split(util::strip_ansi(*text), '\n');
    while (!all.empty() && all.back().empty())
        all.pop_back();
    std::size_t from = all.size() > lines ? all.size() - lines : 0;
    return util::join(std::vector<std::string>(all.begin() + static_cast<long>(from), all.end()),
                      "\n") +
           "\n";
}

} // namespace

std::string TerminalReporter::once(const std::string& key, std::optional<std::string> annotation) {
    if (!annotation || !annotated_.insert(key).second)
        return {};
    return *annotation;
}

std::string TerminalReporter::end_panic(Entry& entry) {
    if (!entry.panic)
        return {};
    const Panic& p = *entry.panic;
    std::string out = once(fmt::format("panic|{}|{}|{}|{}", p.file, p.line, p.column, p.test),
                           panic_annotation(p, style_.annotation_root));
    entry.panic.reset();
    return out;
}

std::string TerminalReporter::panic_lines(Entry& entry, const std::string& line) {
    std::string out;
    if (auto panic = parse_panic_line(line)) {
        out += end_panic(entry);
        entry.panic = std::move(*panic);
        if (!entry.panic->message.empty()) // the old form carries its message on this line
            out += end_panic(entry);
        return out;
    }
    if (!entry.panic)
        return out;
    // libtest ends a panic's message with a note, a blank line or the next test's block.
    if (line.empty() || line.starts_with("note: ") || line.starts_with("stack backtrace:") ||
        line.starts_with("---- ") || line.starts_with("failures:") ||
        line.starts_with("test result:") ||
        std::count(entry.panic->message.begin(), entry.panic->message.end(), '\n') >= 20)
        return end_panic(entry);
    entry.panic->message += line + "\n";
    return out;
}

std::string TerminalReporter::rendered(Entry& entry, std::string_view chunk) {
    const bool cargo = entry.format == "cargo-json";
    if (!cargo && !entry.go_test)
        return std::string(chunk);
    entry.partial.append(chunk);
    std::string out;
    std::size_t start = 0;
    const bool github = style_.ci == CiFormat::github;
    for (auto end = entry.partial.find('\n'); end != std::string::npos;
         start = end + 1, end = entry.partial.find('\n', start)) {
        if (entry.go_test) {
            out += entry.go_test->line(std::string_view(entry.partial).substr(start, end - start));
            continue;
        }
        auto line = parse_cargo_line(std::string_view(entry.partial).substr(start, end - start));
        out += line.message ? line.text : line.text + "\n";
        if (!github)
            continue;
        if (const auto& d = line.diagnostic)
            out += once(fmt::format("{}|{}|{}|{}|{}|{}", d->level, d->file, d->line, d->column,
                                    d->code, d->message),
                        github_annotation(*d, style_.annotation_root));
        else if (!line.message)
            out += panic_lines(entry, util::strip_ansi(line.text));
    }
    entry.partial.erase(0, start);
    return out;
}

TerminalReporter::Entry* TerminalReporter::find(const std::string& name) {
    for (auto& entry : queue_)
        if (entry.name == name)
            return &entry;
    return nullptr;
}

void TerminalReporter::on_start(const exec::StageJob& job) {
    if (style_.spinner && !spinner_.joinable())
        spinner_ = std::jthread([this](std::stop_token stop) { spin(stop); });
    std::string line = fmt::format("{} {}", paint(kBold, "==>"), paint(kBold, job.name));
    if (style_.verbosity == Verbosity::verbose)
        line += " " + paint(kDim, util::shell_join(job.command.argv));
    line = stamp(line) + "\n";
    if (style_.ci == CiFormat::github)
        line = fmt::format("::group::{}\n{}", job.name, line);
    else if (style_.ci == CiFormat::gitlab)
        line = fmt::format("\x1b[0Ksection_start:{}:{}[collapsed=true]\r\x1b[0K{}", unix_now(),
                           section_name(job.name), line);
    Entry entry;
    entry.name = job.name;
    entry.start_line = line;
    entry.format = job.format;
    if (job.format == "go-test-json")
        entry.go_test = std::make_shared<GoTestRenderer>(style_.module_path, style_.annotation_root,
                                                         style_.ci == CiFormat::github,
                                                         style_.verbosity == Verbosity::verbose);
    queue_.push_back(std::move(entry));
    if (queue_.size() == 1)
        show_front();
}

void TerminalReporter::on_output(const exec::StageJob& job, std::string_view chunk) {
    Entry* entry = find(job.name);
    if (!entry)
        return;
    std::string text = rendered(*entry, chunk);
    if (entry == &queue_.front() && style_.verbosity != Verbosity::quiet)
        write(text);
    else
        entry->held.append(text);
}

std::string TerminalReporter::section_end(const Entry& entry,
                                          const exec::StageResult& result) const {
    if (entry.start_line.empty())
        return {};
    if (style_.ci == CiFormat::github)
        return "::endgroup::\n";
    if (style_.ci != CiFormat::gitlab)
        return {};
    std::string end =
        fmt::format("\x1b[0Ksection_end:{}:{}\r\x1b[0K", unix_now(), section_name(entry.name));
    // A collapsed section hides a failure: show its end outside, expanded.
    if (result.status == exec::StageStatus::failed && !result.log.empty())
        end += fmt::format("The last lines of {}:\n{}", result.log, tail_of(result.log, 40));
    return end;
}

void TerminalReporter::on_finish(const exec::StageJob& job, const exec::StageResult& result) {
    Entry* entry = find(job.name);
    if (!entry) {
        queue_.push_back(Entry{});
        entry = &queue_.back();
        entry->name = job.name;
    }
    if (!entry->partial.empty())
        entry->held += rendered(*entry, "\n");
    if (entry->go_test)
        entry->held += entry->go_test->finish();
    entry->held += end_panic(*entry);
    const std::string time = util::format_duration_ms(result.duration_ms);
    std::string where = result.log.empty() ? "" : fmt::format(" (log: {})", result.log);
    std::string line;
    switch (result.status) {
    case exec::StageStatus::passed:
        line = fmt::format("{} {} passed in {}", paint(kGreen, "ok "), job.name, time);
        break;
    case exec::StageStatus::skipped:
        line = fmt::format("{} {} skipped: {}", paint(kYellow, "-- "), job.name, result.reason);
        break;
    case exec::StageStatus::failed:
        entry->failed = true;
        line = fmt::format("{} {} failed in {}: {}{}", paint(kRed, "ERR"), job.name, time,
                           result.reason, where);
        break;
    }
    entry->finish_line = section_end(*entry, result) + stamp(line) + "\n";
    flush_finished();
}

void TerminalReporter::show_front() {
    Entry& front = queue_.front();
    set_live(front.start_line.empty() ? "" : front.name);
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
            write(front.held + *front.finish_line); // what arrived after it became live
        }
        queue_.pop_front();
        if (!queue_.empty())
            show_front();
        else
            set_live("");
    }
}

void TerminalReporter::summary(const RunReport& report) {
    if (style_.verbosity != Verbosity::quiet && !report.stages.empty()) {
        std::size_t width = 5;
        for (const auto& s : report.stages)
            width = std::max(width, s.name.size());
        std::vector<std::string> lines = {
            fmt::format("  {:<{}}  {:<7}  {:>7}  {}", "stage", width, "status", "time", "note")};
        for (const auto& s : report.stages) {
            std::string status = exec::status_name(s.status);
            const char* colour = s.status == exec::StageStatus::passed   ? kGreen
                                 : s.status == exec::StageStatus::failed ? kRed
                                                                         : kYellow;
            std::string time = s.status == exec::StageStatus::skipped
                                   ? "-"
                                   : util::format_duration_ms(s.duration_ms);
            lines.push_back(fmt::format("  {:<{}}  {}  {:>7}  {}", s.name, width,
                                        paint(colour, fmt::format("{:<7}", status)), time,
                                        s.reason));
        }
        bool anything_cached = false;
        if (report.cache)
            for (const auto& p : report.cache->profiles)
                anything_cached = anything_cached || !p.key.empty();
        if (report.cache && !anything_cached && !report.cache->profiles.empty()) {
            lines.push_back("  cache: nothing to cache (no external dependencies)");
        } else if (report.cache && !report.cache->profiles.empty()) {
            std::vector<std::string> profiles;
            for (const auto& p : report.cache->profiles)
                profiles.push_back(p.name + " " + p.status);
            lines.push_back(fmt::format("  cache: {} (restore {}, save {})",
                                        util::join(profiles, ", "),
                                        util::format_duration_ms(report.cache->restore_ms),
                                        util::format_duration_ms(report.cache->save_ms)));
        }
        if (const auto& b = report.bench)
            lines.push_back(
                fmt::format("  bench: {} slower, {} faster, {} too noisy of {} ({})",
                            b->count(bench::Verdict::slower), b->count(bench::Verdict::faster),
                            b->count(bench::Verdict::too_noisy), b->benchmarks.size(),
                            b->baseline ? "against " + b->baseline->substr(0, 12) : "no baseline"));
        std::string table = "\n";
        for (const auto& line : lines)
            table += stamp(line) + "\n";
        write(table + "\n");
    }
    // Under GitHub Actions each judged benchmark is an annotation: its change and confidence.
    if (report.bench && style_.ci == CiFormat::github)
        for (const auto& finding : bench::findings(*report.bench))
            write(fmt::format("::{} title={}::{}\n", finding.level,
                              escape_annotation_property("rcd bench"),
                              escape_annotation_data(finding.text)));
    std::string verdict = report.ok() ? paint(kGreen, "passed") : paint(kRed, "failed");
    write(stamp(fmt::format("rcd: {} {} in {}", report.command, verdict,
                            util::format_duration_ms(report.duration_ms))) +
          "\n");
}

void TerminalReporter::error(const Error& error) {
    write(stamp(fmt::format("{} {}", paint(kRed, "rcd: error:"), error.message)) + "\n");
    if (!error.hint.empty())
        write(stamp(fmt::format("  {} {}", paint(kBold, "hint:"), error.hint)) + "\n");
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
