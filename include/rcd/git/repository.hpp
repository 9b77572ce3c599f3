// What rcd needs to know about the commit in front of it.
#pragma once

#include "rcd/util/result.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace rcd::git {

struct RepoState {
    std::filesystem::path root;           // the work tree
    std::string commit;                   // full sha of HEAD
    std::int64_t commit_time = 0;         // seconds since the epoch
    std::optional<std::string> branch;    // empty on a detached HEAD
    std::optional<std::string> origin;    // the origin URL, credentials removed
    std::vector<std::string> dirty_files; // modified, staged or untracked and not ignored

    bool dirty() const { return !dirty_files.empty(); }
};

// Exit code 3 when `dir` is not inside a git work tree or HEAD has no commit yet.
Result<RepoState> inspect(const std::filesystem::path& dir);

// "https://user:token@host/x.git" -> "https://host/x.git"; other forms unchanged.
std::string strip_credentials(const std::string& url);

} // namespace rcd::git

namespace rcd::git {
std::string library_version(); // of libgit2, for `rcd version`
} // namespace rcd::git
