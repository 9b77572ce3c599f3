// rcd's one diagnostics channel. Every module says what it does here, at one of three levels:
//   debug: decisions and details (requests with their status and time, retries and waits, the
//          cache's choices, child commands): in the run's log file, on the terminal with -v;
//   info:  what the person running rcd should see (waits, restores, pushed blobs), unless -q;
//   warn:  the same, for what went wrong without failing the run.
// A run's log file (target/rcd/logs/rcd.log) takes every level; the terminal takes what the
// reporter shows. Secrets registered with add_secret never reach either.
#pragma once

#include "rcd/util/result.hpp"

#include <filesystem>
#include <fmt/format.h>
#include <functional>
#include <string>
#include <string_view>

namespace rcd::log {

enum class Level { debug, info, warn };

void write(Level level, std::string_view message);

inline void debug(std::string_view message) {
    write(Level::debug, message);
}
inline void info(std::string_view message) {
    write(Level::info, message);
}
inline void warn(std::string_view message) {
    write(Level::warn, message);
}
template <class... Args> void debug(fmt::format_string<Args...> format, Args&&... args) {
    write(Level::debug, fmt::format(format, std::forward<Args>(args)...));
}
template <class... Args> void info(fmt::format_string<Args...> format, Args&&... args) {
    write(Level::info, fmt::format(format, std::forward<Args>(args)...));
}
template <class... Args> void warn(fmt::format_string<Args...> format, Args&&... args) {
    write(Level::warn, fmt::format(format, std::forward<Args>(args)...));
}

// Every line from here on also goes to `file` (appended; rotated at 4 MiB, three kept), each
// with its time, rcd's process id and its level. Replaces an earlier file.
Status open_file(const std::filesystem::path& file);
void close_file();

// Where the terminal's lines go while the returned scope lives: the terminal reporter, which
// decides by its verbosity what it shows. Called on the thread that logs; must not log itself.
using TerminalSink = std::function<void(Level, const std::string&)>;
class TerminalScope {
  public:
    explicit TerminalScope(TerminalSink sink);
    ~TerminalScope();
    TerminalScope(const TerminalScope&) = delete;
    TerminalScope& operator=(const TerminalScope&) = delete;
};

// A value that must never be written: each occurrence in a line becomes "***". Values shorter
// than four characters are ignored (they would mask ordinary words).
void add_secret(std::string secret);

// `message` with every registered secret masked: what the sinks receive.
std::string masked(std::string_view message);

// The version of the logging library (spdlog), for `rcd version`.
std::string library_version();

} // namespace rcd::log
