#include "tree_writer.hpp"

#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/std.h>
#include <sys/stat.h>

namespace rcd::cache::writer {

// Opens the directory `rel` beneath the directory `base`, creating what is missing when
// `create`. Every component opens with O_NOFOLLOW: a symbolic link anywhere on the way,
// whoever made it, is refused (ELOOP, ENOTDIR), never followed, so nothing this returns lies
// outside `base` (the portable form of openat2's RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS).
std::expected<Dir, int> open_beneath(int base, const std::filesystem::path& rel, bool create) {
    Dir dir(::fcntl(base, F_DUPFD_CLOEXEC, 0));
    if (dir.fd() < 0)
        return std::unexpected(errno);
    for (const auto& part : rel) {
        if (part.empty() || part == ".")
            continue;
        if (part == "..")
            return std::unexpected(EPERM);
        const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
        int fd = ::openat(dir.fd(), part.c_str(), flags);
        if (fd < 0 && errno == ENOENT && create) {
            if (::mkdirat(dir.fd(), part.c_str(), 0755) != 0 && errno != EEXIST)
                return std::unexpected(errno);
            fd = ::openat(dir.fd(), part.c_str(), flags);
        }
        if (fd < 0)
            return std::unexpected(errno);
        dir = Dir(fd);
    }
    return dir;
}

Error cannot_restore(const std::filesystem::path& rel, int err) {
    return Error{ExitCode::filesystem,
                 fmt::format("cannot restore {}: {}", rel,
                             err == ELOOP || err == ENOTDIR
                                 ? "a symbolic link or a file is in the way on its path"
                                 : std::strerror(err)),
                 "check the permissions of the target directory"};
}

// Moves what the directory `from` holds into the directory `to`: an entry `to` lacks moves
// whole, in one rename, and a directory both have is merged. Nothing is followed: a symbolic
// link in `to` is replaced, and `rel` (for messages) says where `to` is.
Status merge_into(int from, int to, const std::filesystem::path& rel) {
    std::vector<std::pair<std::string, bool>> entries; // name, is a directory; read whole first
    {
        int fd = ::openat(from, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR* listing = fd < 0 ? nullptr : ::fdopendir(fd);
        if (!listing) {
            if (fd >= 0)
                ::close(fd);
            return std::unexpected(cannot_restore(rel, errno));
        }
        while (const dirent* e = ::readdir(listing)) {
            std::string name = e->d_name;
            if (name == "." || name == "..")
                continue;
            struct stat st {};
            entries.emplace_back(name, ::fstatat(from, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                                           S_ISDIR(st.st_mode));
        }
        ::closedir(listing);
    }
    for (const auto& [name, is_dir] : entries) {
        struct stat dest {};
        if (is_dir && ::fstatat(to, name.c_str(), &dest, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISDIR(dest.st_mode)) {
            auto inner_from = open_beneath(from, name, false);
            auto inner_to = open_beneath(to, name, false);
            if (!inner_from || !inner_to)
                return std::unexpected(cannot_restore(rel / name, !inner_from ? inner_from.error()
                                                                              : inner_to.error()));
            RCD_CHECK(merge_into(inner_from->fd(), inner_to->fd(), rel / name));
            continue;
        }
        if (::renameat(from, name.c_str(), to, name.c_str()) != 0)
            return std::unexpected(cannot_restore(rel / name, errno));
    }
    return {};
}

} // namespace rcd::cache::writer
