#include "rcd/git/repository.hpp"

#include <algorithm>
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

// What `git status` lists, an untracked directory as one entry: "image/ (37 files)".
Result<std::vector<std::string>> dirty_paths(git_repository* repo) {
    auto list = [&](bool recurse) -> Result<std::vector<std::string>> {
        git_status_options options = GIT_STATUS_OPTIONS_INIT;
        options.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
        // A submodule with changes of its own (a new commit, edits, new files) is dirty too.
        options.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED;
        if (recurse)
            options.flags |= GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS;
        git_status_list* raw_status = nullptr;
        if (git_status_list_new(&raw_status, repo, &options) != 0)
            return fail(ExitCode::repository,
                        fmt::format("cannot read git status: {}", last_error()),
                        "check the repository with 'git status'");
        Owned<git_status_list, git_status_list_free> status(raw_status);
        std::vector<std::string> paths;
        for (std::size_t i = 0; i < git_status_list_entrycount(status.get()); ++i) {
            const git_status_entry* entry = git_status_byindex(status.get(), i);
            if (entry->status == GIT_STATUS_CURRENT || (entry->status & GIT_STATUS_IGNORED))
                continue;
            const git_diff_delta* delta =
                entry->index_to_workdir ? entry->index_to_workdir : entry->head_to_index;
            if (delta && delta->new_file.path)
                paths.emplace_back(delta->new_file.path);
        }
        return paths;
    };
    RCD_ASSIGN(auto paths, list(false));
    if (std::none_of(paths.begin(), paths.end(), [](const auto& p) { return p.ends_with('/'); }))
        return paths;
    RCD_ASSIGN(auto files, list(true));
    for (auto& path : paths) {
        if (!path.ends_with('/'))
            continue;
        auto n = std::count_if(files.begin(), files.end(),
                               [&](const std::string& f) { return f.starts_with(path); });
        path += fmt::format(" ({} file{})", n, n == 1 ? "" : "s");
    }
    return paths;
}

} // namespace

std::optional<std::string> source_url(const std::string& remote) {
    // Neither userinfo nor a query string (a token may ride in either) reaches a label.
    std::string url = strip_credentials(remote.substr(0, remote.find_first_of("?#")));
    std::string host_and_path;
    if (auto scheme = url.find("://"); scheme != std::string::npos) {
        std::string name = url.substr(0, scheme);
        if (name == "file")
            return std::nullopt;
        host_and_path = url.substr(scheme + 3);
        auto slash = host_and_path.find('/');
        std::string host = host_and_path.substr(0, slash);
        std::string path = slash == std::string::npos ? "" : host_and_path.substr(slash);
        if (auto at = host.rfind('@'); at != std::string::npos)
            host = host.substr(at + 1); // ssh://git@host
        // An ssh or git port says nothing about the web address.
        if (name != "http" && name != "https")
            host = host.substr(0, host.find(':'));
        host_and_path = host + path;
        if (name == "http")
            host_and_path = "http://" + host_and_path;
    } else {
        // scp-like "git@host:org/x.git"; anything else is a local path.
        auto colon = url.find(':');
        auto slash = url.find('/');
        if (colon == std::string::npos || (slash != std::string::npos && slash < colon) ||
            colon == 1) // "C:/..." or a path
            return std::nullopt;
        std::string host = url.substr(0, colon);
        if (auto at = host.rfind('@'); at != std::string::npos)
            host = host.substr(at + 1);
        std::string path = url.substr(colon + 1);
        if (!path.starts_with('/'))
            path = "/" + path;
        host_and_path = host + path;
    }
    while (host_and_path.ends_with('/'))
        host_and_path.pop_back();
    if (host_and_path.ends_with(".git"))
        host_and_path.resize(host_and_path.size() - 4);
    if (host_and_path.empty() || host_and_path.starts_with('/'))
        return std::nullopt;
    return host_and_path.starts_with("http://") ? host_and_path : "https://" + host_and_path;
}

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

namespace {

// The repository `dir` is in (exit 3 when it is in none).
Result<Owned<git_repository, git_repository_free>>
open_repository(const std::filesystem::path& dir) {
    static Library library;
    git_repository* raw_repo = nullptr;
    if (git_repository_open_ext(&raw_repo, dir.c_str(), 0, nullptr) != 0)
        return fail(ExitCode::repository, fmt::format("{} is not inside a git repository", dir),
                    "run 'git init' and commit, or point rcd at a repository with -C DIR");
    return Owned<git_repository, git_repository_free>(raw_repo);
}

} // namespace

Result<Commit> find_commit(const std::filesystem::path& root, const std::string& revision) {
    RCD_ASSIGN(auto repo, open_repository(root));
    git_object* raw_object = nullptr;
    if (git_revparse_single(&raw_object, repo.get(), revision.c_str()) != 0)
        return fail(ExitCode::repository,
                    fmt::format("no commit '{}' in {}: {}", revision, root, last_error()),
                    "a shallow clone may not have it: fetch it (git fetch --depth=50 origin) or "
                    "name another revision");
    Owned<git_object, git_object_free> object(raw_object);
    git_object* raw_commit = nullptr;
    if (git_object_peel(&raw_commit, object.get(), GIT_OBJECT_COMMIT) != 0)
        return fail(ExitCode::repository, fmt::format("'{}' does not name a commit", revision));
    Owned<git_object, git_object_free> commit(raw_commit);
    Commit out;
    out.sha = git_oid_tostr_s(git_object_id(commit.get()));
    out.time = git_commit_time(reinterpret_cast<git_commit*>(commit.get()));
    return out;
}

Status export_commit(const std::filesystem::path& root, const std::string& commit,
                     const std::filesystem::path& dest) {
    RCD_ASSIGN(auto repo, open_repository(root));
    git_oid oid;
    git_commit* raw_commit = nullptr;
    if (git_oid_fromstr(&oid, commit.c_str()) != 0 ||
        git_commit_lookup(&raw_commit, repo.get(), &oid) != 0)
        return fail(ExitCode::repository, fmt::format("no commit {} in {}", commit, root));
    Owned<git_commit, git_commit_free> owned(raw_commit);
    std::error_code ec;
    std::filesystem::create_directories(dest, ec);
    if (ec)
        return fail(ExitCode::filesystem, fmt::format("cannot create {}: {}", dest, ec.message()));
    const std::string target = dest.string();
    git_checkout_options options = GIT_CHECKOUT_OPTIONS_INIT;
    options.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_DONT_UPDATE_INDEX;
    options.target_directory = target.c_str();
    if (git_checkout_tree(repo.get(), reinterpret_cast<const git_object*>(owned.get()), &options) !=
        0)
        return fail(ExitCode::filesystem, fmt::format("cannot write commit {} into {}: {}",
                                                      commit.substr(0, 12), dest, last_error()));
    return {};
}

Result<std::vector<std::string>> untracked_files(const std::filesystem::path& root,
                                                 const std::string& path) {
    RCD_ASSIGN(auto repo, open_repository(root));
    git_status_options options = GIT_STATUS_OPTIONS_INIT;
    options.show = GIT_STATUS_SHOW_WORKDIR_ONLY;
    options.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_INCLUDE_IGNORED |
                    GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS | GIT_STATUS_OPT_RECURSE_IGNORED_DIRS |
                    GIT_STATUS_OPT_DISABLE_PATHSPEC_MATCH;
    std::string spec = path == "." ? "" : path;
    char* specs[] = {spec.data()};
    options.pathspec = {specs, spec.empty() ? 0U : 1U};
    git_status_list* raw_status = nullptr;
    if (git_status_list_new(&raw_status, repo.get(), &options) != 0)
        return fail(ExitCode::repository, fmt::format("cannot read git status: {}", last_error()),
                    "check the repository with 'git status'");
    Owned<git_status_list, git_status_list_free> status(raw_status);
    std::vector<std::string> out;
    for (std::size_t i = 0; i < git_status_list_entrycount(status.get()); ++i) {
        const git_status_entry* entry = git_status_byindex(status.get(), i);
        if (!(entry->status & (GIT_STATUS_WT_NEW | GIT_STATUS_IGNORED)) ||
            !entry->index_to_workdir || !entry->index_to_workdir->new_file.path)
            continue;
        std::string name = entry->index_to_workdir->new_file.path;
        if (spec.empty() || name == spec || name.starts_with(spec + "/") ||
            (spec.ends_with('/') && name.starts_with(spec)))
            out.push_back(std::move(name));
    }
    return out;
}

Result<RepoState> inspect(const std::filesystem::path& dir) {
    RCD_ASSIGN(auto repo, open_repository(dir));
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

    RCD_ASSIGN(state.dirty_files, dirty_paths(repo.get()));
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
