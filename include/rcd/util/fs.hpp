// File system helpers. Every write goes through a temporary name and a rename.
#pragma once

#include "rcd/util/result.hpp"

#include <filesystem>
#include <string>
#include <string_view>

namespace rcd::util {

Result<std::string> read_file(const std::filesystem::path& path);

// Writes `content` to a temporary file beside `path`, syncs it and renames it into place,
// so a reader sees the old file or the new one, never half of one.
Status write_file_atomic(const std::filesystem::path& path, std::string_view content);

Status create_directories(const std::filesystem::path& path);

// Writes all of `data` to `fd`, through short writes and EINTR; false (errno set) on failure.
bool write_all(int fd, std::string_view data);

} // namespace rcd::util
