// The file system an image's layers build up, as names only: enough to tell whether a path
// exists once symbolic links are followed, and whether an executable can start in it.
#pragma once

#include "rcd/image/elf.hpp"
#include "rcd/util/tar.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rcd::image {

class FileTree {
  public:
    // One layer over the ones before it, with the OCI whiteouts: `.wh.NAME` removes NAME, and
    // `.wh..wh..opq` removes everything the lower layers put in its directory.
    void apply(const std::vector<util::TarListing>& layer);

    // The path a name leads to once every symbolic link on the way is followed (as the
    // kernel does, inside the image's root), or nothing when it does not exist.
    std::optional<std::string> resolve(std::string_view path) const;
    bool exists(std::string_view path) const { return resolve(path).has_value(); }

  private:
    struct Node {
        util::TarListing::Type type;
        std::string target; // of a symbolic link
    };
    bool has_children(const std::string& dir) const;
    void remove_tree(const std::string& path, bool keep_self);

    std::map<std::string, Node> nodes_; // by normalised path: "usr/lib/libc.so.6"
};

// A file the executable needs that the image lacks.
struct MissingFile {
    std::string name;                   // "/lib64/ld-linux-x86-64.so.2", "libssl.so.3"
    std::string role;                   // "its interpreter", "a library it needs"
    std::vector<std::string> looked_in; // for a library: the directories searched
};

// What `executable` (at `path` in the image) needs at start that `tree` lacks, searched as the
// dynamic loader would: DT_RPATH, LD_LIBRARY_PATH from `env` ("KEY=value"), DT_RUNPATH, then
// the usual and multiarch library directories. Only the executable's own needs are checked:
// the libraries' needs are the base image's business.
std::vector<MissingFile> missing_at_start(const ExecutableInfo& executable, const std::string& path,
                                          const FileTree& tree,
                                          const std::vector<std::string>& env);

} // namespace rcd::image
