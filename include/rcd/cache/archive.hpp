// Directory trees as zstd-compressed tar files, for the dependency cache: mtimes kept to the
// nanosecond (cargo's fingerprints compare them), and extraction that cannot leave its root.
#pragma once

#include "rcd/util/result.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace rcd::util {
class GrowingFile;
}

namespace rcd::cache {

// Packs `paths` (relative to `root`, directories recursively) into `archive`, a .tar.zst,
// in sorted order. Regular files, directories and symbolic links; owners are not kept. A file's
// second name (a hard link) is stored as a link to the first. A regular file named in
// `content` (by its path relative to `root`) is stored with that other file's bytes and its own
// name, mode and mtime.
Status pack_tree(const std::filesystem::path& root, const std::vector<std::string>& paths,
                 const std::filesystem::path& archive,
                 const std::map<std::string, std::filesystem::path>& content = {});

// Unpacks into `root`, restoring modes (without setuid and setgid bits) and mtimes exactly, in
// one pass through a staging directory. Refuses, before anything reaches `root`, an archive
// with an absolute path, a `..` component, a hard link to anything but an earlier file of the
// archive, a symbolic link that points outside `root`, an entry whose path goes through a link
// (the archive's own or one already in `root`: no path component is ever followed), a device,
// a FIFO, or more file contents than `expansion_limit` allows. A regular file already in
// `root` with the same size and mtime is kept, not written again.
Status unpack_tree(const std::filesystem::path& archive, const std::filesystem::path& root);

// The same, reading an archive of `size` bytes (its descriptor's) as it is still being written
// (downloaded); nothing reaches `root` unless the writer finishes it as good.
Status unpack_tree(const util::GrowingFile& archive, std::int64_t size,
                   const std::filesystem::path& root);

// How many bytes of file contents an archive of `compressed` bytes may unpack into `root`:
// 8 times its size (RCD_CACHE_MAX_EXPANSION changes the factor), and never more than the free
// space there less a margin.
std::int64_t expansion_limit(std::int64_t compressed, const std::filesystem::path& root);

} // namespace rcd::cache
