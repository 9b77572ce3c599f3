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
    std::filesystem::path root;        // the work tree
    std::string commit;                // full sha of HEAD
    std::int64_t commit_time = 0;      // seconds since the epoch
    std::optional<std::string> branch; // empty on a detached HEAD
    std::optional<std::string> origin; // the origin URL, credentials removed
    // Modified, staged or untracked and not ignored; an untracked directory is one entry,
    // "image/ (37 files)".
    std::vector<std::string> dirty_files;

    bool dirty() const { return !dirty_files.empty(); }
};

// Exit code 3 when `dir` is not inside a git work tree or HEAD has no commit yet.
Result<RepoState> inspect(const std::filesystem::path& dir);

// The files at or beneath `path` (relative to the work tree `root`) that git does not track:
// untracked or ignored.
Result<std::vector<std::string>> untracked_files(const std::filesystem::path& root,
                                                 const std::string& path);

// A commit `revision` names (a sha, a tag, a branch, "HEAD~1"), in the repository at `root`:
// exit 3 naming it when there is none (a shallow clone may not have it).
struct Commit {
    std::string sha;
    std::int64_t time = 0; // seconds since the epoch
};
Result<Commit> find_commit(const std::filesystem::path& root, const std::string& revision);

// Writes the files of `commit` into `dest` (created; what it held is overwritten), without
// touching the repository's index, HEAD or work tree: a work tree of another commit that git
// need not be told about.
Status export_commit(const std::filesystem::path& root, const std::string& commit,
                     const std::filesystem::path& dest);

// "https://user:token@host/x.git" -> "https://host/x.git"; other forms unchanged.
std::string strip_credentials(const std::string& url);

// The web address a remote names, for the image's source label: "git@host:org/x.git",
// "ssh://git@host/org/x" and "https://user:token@host/org/x.git" all give
// "https://host/org/x". A local path or a file:// URL gives nothing.
std::optional<std::string> source_url(const std::string& remote);

} // namespace rcd::git

namespace rcd::git {
std::string library_version(); // of libgit2, for `rcd version`
} // namespace rcd::git
