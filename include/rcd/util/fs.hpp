// File system helpers. Every write goes through a temporary name and a rename.
#pragma once

#include "rcd/util/result.hpp"

#include <filesystem>
#include <string>
#include <string_view>

namespace rcd::util {

Result<std::string> read_file(const std::filesystem::path& path);

// A configuration file a user gave: it must be a regular file (a FIFO or a directory is a
// usage error, and never blocks) of at most `max_bytes`.
Result<std::string> read_config_file(const std::filesystem::path& path,
                                     std::size_t max_bytes = 1 << 20);

// Writes `content` to a temporary file beside `path`, syncs it and renames it into place,
// so a reader sees the old file or the new one, never half of one.
Status write_file_atomic(const std::filesystem::path& path, std::string_view content);

Status create_directories(const std::filesystem::path& path);

// Removes what a killed run left in `dir`: every entry named `<prefix><pid>-…` whose process is
// gone (a live one is another run's, still at work). Returns how many went.
int remove_stale(const std::filesystem::path& dir, std::string_view prefix);

// The running program's own executable (/proc/self/exe), for starting itself again; "rcd"
// (found on PATH) when it cannot be read.
std::string self_executable();

// Writes all of `data` to `fd`, through short writes and EINTR; false (errno set) on failure.
bool write_all(int fd, std::string_view data);

} // namespace rcd::util
