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

// Packs `paths` (relative to `root`, directories recursively) into `archive`, a .tar.zst,
// in sorted order. Regular files, directories and symbolic links; owners are not kept. A file's
// second name (a hard link) is stored as a link to the first. A regular file named in
// `content` (by its path relative to `root`) is stored with that other file's bytes and its own
// name, mode and mtime.
Status pack_tree(const std::filesystem::path& root, const std::vector<std::string>& paths,
                 const std::filesystem::path& archive,
                 const std::map<std::string, std::filesystem::path>& content = {});

// Unpacks into `root`, restoring modes and mtimes exactly, in one pass through a staging
// directory. Refuses, before anything reaches `root`, an archive with an absolute path, a `..`
// component, a hard link to anything but an earlier file of the archive, or a symbolic link
// that points outside `root`. A regular file already in `root` with the same size and mtime is
// kept, not written again.
Status unpack_tree(const std::filesystem::path& archive, const std::filesystem::path& root);

class GrowingFile;
// The same, reading an archive as it is still being written (downloaded); nothing reaches
// `root` unless the writer finishes it as good.
Status unpack_tree(const GrowingFile& archive, const std::filesystem::path& root);

} // namespace rcd::util
