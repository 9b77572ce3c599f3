// Directory trees as zstd-compressed tar files, for the dependency cache: mtimes kept to the
// nanosecond (cargo's fingerprints compare them), and extraction that cannot leave its root.
#pragma once

#include "rcd/util/result.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace rcd::util {

// Packs `paths` (relative to `root`, directories recursively) into `archive`, a .tar.zst,
// in sorted order. Regular files, directories and symbolic links; owners are not kept.
Status pack_tree(const std::filesystem::path& root, const std::vector<std::string>& paths,
                 const std::filesystem::path& archive);

// Unpacks into `root`, restoring modes and mtimes exactly. Refuses, before writing anything,
// an archive with an absolute path, a `..` component, a hard link, or a symbolic link that
// points outside `root`.
Status unpack_tree(const std::filesystem::path& archive, const std::filesystem::path& root);

} // namespace rcd::util
