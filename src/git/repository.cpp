#include "rcd/git/repository.hpp"

#include <fmt/format.h>
#include <fmt/std.h>
#include <git2.h>
#include <memory>

namespace rcd::git {

namespace {

// libgit2's global state, set up once for the process.
struct Library {
    Library() { git_libgit2_init(); }
    ~Library() { git_libgit2_shutdown(); }
};

template <typename T, void (*Free)(T*)> struct Deleter {
    void operator()(T* p) const { Free(p); }
};
template <typename T, void (*Free)(T*)> using Owned = std::unique_ptr<T, Deleter<T, Free>>;

std::string last_error() {
    const git_error* e = git_error_last();
    return e && e->message ? e->message : "unknown libgit2 error";
}

} // namespace

std::string strip_credentials(const std::string& url) {
    auto scheme = url.find("://");
    if (scheme == std::string::npos)
        return url; // scp-like "git@host:path" names a user, not a secret
    auto authority_start = scheme + 3;
    auto authority_end = url.find('/', authority_start);
    auto at = url.rfind('@', authority_end);
    if (at == std::string::npos || at < authority_start)
        return url;
    return url.substr(0, authority_start) + url.substr(at + 1);
}

Result<RepoState> inspect(const std::filesystem::path& dir) {
    static Library library;
    git_repository* raw_repo = nullptr;
    if (git_repository_open_ext(&raw_repo, dir.c_str(), 0, nullptr) != 0)
        return fail(ExitCode::repository, fmt::format("{} is not inside a git repository", dir),
                    "run 'git init' and commit, or point rcd at a repository with -C DIR");
    Owned<git_repository, git_repository_free> repo(raw_repo);
    if (git_repository_is_bare(repo.get()))
        return fail(ExitCode::repository, fmt::format("{} is a bare repository", dir),
                    "run rcd in a checkout with a work tree");

    RepoState state;
    state.root = std::filesystem::path(git_repository_workdir(repo.get())).lexically_normal();
    if (state.root.has_filename() == false)
        state.root = state.root.parent_path();

    git_oid head;
    if (git_reference_name_to_id(&head, repo.get(), "HEAD") != 0)
        return fail(ExitCode::repository,
                    fmt::format("the repository at {} has no commit yet", state.root),
                    "commit your work first: git add -A && git commit");
    char sha[GIT_OID_HEXSZ + 1];
    git_oid_tostr(sha, sizeof sha, &head);
    state.commit = sha;

    git_commit* raw_commit = nullptr;
    if (git_commit_lookup(&raw_commit, repo.get(), &head) != 0)
        return fail(ExitCode::repository, fmt::format("cannot read HEAD: {}", last_error()),
                    "check the repository with 'git fsck'");
    Owned<git_commit, git_commit_free> commit(raw_commit);
    state.commit_time = git_commit_time(commit.get());

    git_reference* raw_head = nullptr;
    if (git_repository_head(&raw_head, repo.get()) == 0) {
        Owned<git_reference, git_reference_free> head_ref(raw_head);
        if (git_reference_is_branch(head_ref.get()))
            state.branch = git_reference_shorthand(head_ref.get());
    }

    git_remote* raw_remote = nullptr;
    if (git_remote_lookup(&raw_remote, repo.get(), "origin") == 0) {
        Owned<git_remote, git_remote_free> remote(raw_remote);
        if (const char* url = git_remote_url(remote.get()))
            state.origin = strip_credentials(url);
    }

    git_status_options options = GIT_STATUS_OPTIONS_INIT;
    options.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
    options.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS |
                    GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
    git_status_list* raw_status = nullptr;
    if (git_status_list_new(&raw_status, repo.get(), &options) != 0)
        return fail(ExitCode::repository, fmt::format("cannot read git status: {}", last_error()),
                    "check the repository with 'git status'");
    Owned<git_status_list, git_status_list_free> status(raw_status);
    for (std::size_t i = 0; i < git_status_list_entrycount(status.get()); ++i) {
        const git_status_entry* entry = git_status_byindex(status.get(), i);
        if (entry->status == GIT_STATUS_CURRENT || (entry->status & GIT_STATUS_IGNORED))
            continue;
        const git_diff_delta* delta =
            entry->index_to_workdir ? entry->index_to_workdir : entry->head_to_index;
        if (delta && delta->new_file.path)
            state.dirty_files.emplace_back(delta->new_file.path);
    }
    return state;
}

} // namespace rcd::git

namespace rcd::git {
std::string library_version() {
    int major = 0, minor = 0, rev = 0;
    git_libgit2_version(&major, &minor, &rev);
    return fmt::format("{}.{}.{}", major, minor, rev);
}
} // namespace rcd::git
