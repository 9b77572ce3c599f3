// A reproducible tar writer: entries in the order given, numeric owner 0, one fixed mtime.
#pragma once

#include "rcd/util/result.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace rcd::util {

struct TarEntry {
    enum class Type { file, directory, symlink };
    std::string path; // relative, '/'-separated, no leading '/'
    Type type = Type::file;
    std::uint32_t mode = 0644;
    std::string_view content; // for files: bytes that outlive write_tar
    std::string link_target;  // for symlinks
};

// pax format, uid/gid 0 with no user or group names, every mtime set to `mtime`.
Result<std::string> write_tar(const std::vector<TarEntry>& entries, std::int64_t mtime);

// One entry of a tar archive, by name only.
struct TarListing {
    enum class Type { file, directory, symlink, hardlink, other };
    std::string path;
    Type type = Type::file;
    std::string link_target; // of a symbolic or hard link
};

// The entries of a tar archive (plain, gzip or zstd), in order, without their contents.
Result<std::vector<TarListing>> list_tar(const std::filesystem::path& file);

} // namespace rcd::util
