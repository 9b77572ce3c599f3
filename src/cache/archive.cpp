#include "rcd/cache/archive.hpp"

#include "../util/libarchive.hpp"
#include "rcd/util/fs.hpp"
#include "rcd/util/growing_file.hpp"
#include "tree_writer.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/std.h>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>
#include <zstd.h>

namespace rcd::cache {

namespace detail = util::detail;
using util::GrowingFile;
using util::write_all;
using namespace writer;

namespace {

// Every path below `root` that `paths` name, sorted, directories before their contents.
std::vector<std::filesystem::path> expand(const std::filesystem::path& root,
                                          const std::vector<std::string>& paths) {
    std::vector<std::filesystem::path> out;
    std::error_code ec;
    for (const auto& p : paths) {
        auto top = root / p;
        if (!std::filesystem::exists(std::filesystem::symlink_status(top, ec)))
            continue;
        out.push_back(p);
        if (std::filesystem::is_directory(std::filesystem::symlink_status(top, ec)))
            for (auto it = std::filesystem::recursive_directory_iterator(top, ec);
                 it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
                out.push_back(it->path().lexically_relative(root)); // relative() would follow links
    }
    std::sort(out.begin(), out.end());
    return out;
}

// Whether `target` of a symbolic link at `link` (both relative to the root) stays inside it.
bool link_stays_inside(const std::filesystem::path& link, const std::string& target) {
    if (target.empty() || target.front() == '/')
        return false;
    int depth = 0;
    auto resolved = link.parent_path() / target;
    for (const auto& part : resolved.lexically_normal()) {
        if (part == "..")
            --depth;
        else if (part != "." && !part.empty())
            ++depth;
        if (depth < 0)
            return false;
    }
    return true;
}

// An entry's path as rcd writes it: relative, normal, without a trailing slash.
std::filesystem::path entry_path(archive_entry* entry) {
    const char* name = archive_entry_pathname(entry);
    auto rel = std::filesystem::path(name ? name : "").lexically_normal();
    if (!rel.empty() && !rel.has_filename())
        rel = rel.parent_path(); // "dir/" names "dir"
    return rel;
}

// What the archive made so far, for the entries that follow.
struct Seen {
    std::set<std::filesystem::path> regular; // regular files: the only things a hard link names
    std::set<std::filesystem::path> links;   // symbolic links
};

Error refuse(const std::string& path, const std::string& why) {
    return Error{ExitCode::filesystem, fmt::format("refusing a cache entry '{}': {}", path, why),
                 "the cache archive is damaged or hostile; it will be rebuilt"};
}

// An entry's own checks; unpack_from's walk beneath the root refuses the rest (a path through
// a link that was there before).
Status check_entry(archive_entry* entry, const Seen& seen, std::int64_t max_bytes) {
    std::string path = archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "";
    if (path.empty() || path.front() == '/')
        return std::unexpected(refuse(path, "absolute path"));
    for (const auto& part : std::filesystem::path(path))
        if (part == "..")
            return std::unexpected(refuse(path, "'..' in its path"));
    // A link the archive made cannot lead a later entry anywhere: not out of the root through a
    // chain of links that each look harmless, nor anywhere inside it.
    auto rel = entry_path(entry);
    for (auto parent = rel.parent_path(); !parent.empty(); parent = parent.parent_path())
        if (seen.links.contains(parent))
            return std::unexpected(
                refuse(path, fmt::format("its path goes through the symbolic link '{}'", parent)));
    if (const char* target = archive_entry_hardlink(entry)) {
        if (!seen.regular.contains(std::filesystem::path(target).lexically_normal()))
            return std::unexpected(
                refuse(path, "hard link to something that is not a file earlier in the archive"));
        return {}; // a second name of a checked file (its type reads as none)
    }
    auto type = archive_entry_filetype(entry);
    if (type == AE_IFLNK) {
        const char* target = archive_entry_symlink(entry);
        if (!link_stays_inside(path, target ? target : ""))
            return std::unexpected(refuse(path, "symbolic link leaving the target directory"));
    }
    if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK)
        return std::unexpected(refuse(path, "not a file, directory or link"));
    if (type == AE_IFREG &&
        (archive_entry_size(entry) < 0 || archive_entry_size(entry) > max_bytes))
        return std::unexpected(
            refuse(path, fmt::format("it claims {} bytes, more than the archive may expand to ({})",
                                     archive_entry_size(entry), max_bytes)));
    return {};
}

// The archive's zstd stream, made here rather than by libarchive's filter, which cannot look far
// back: with a 128 MiB window (long-distance matching) the copy of each crate's metadata that
// its .rlib holds, and the files two profiles share, are stored once; the same level and both
// cores, about a quarter smaller. Readers need nothing special: 2^27 is zstd's default limit.
class ZstdFile {
  public:
    static constexpr int kWindowLog = 27;

    ~ZstdFile() {
        if (fd_ >= 0)
            ::close(fd_);
        ZSTD_freeCCtx(cctx_);
    }
    bool open(const std::filesystem::path& path) {
        fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        cctx_ = ZSTD_createCCtx();
        if (fd_ < 0 || !cctx_)
            return false;
        ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, 3);
        ZSTD_CCtx_setParameter(cctx_, ZSTD_c_enableLongDistanceMatching, 1);
        ZSTD_CCtx_setParameter(cctx_, ZSTD_c_windowLog, kWindowLog);
        ZSTD_CCtx_setParameter(cctx_, ZSTD_c_nbWorkers, 2); // ignored by a single-thread libzstd
        return true;
    }
    static la_ssize_t write(struct archive* a, void* self, const void* data, size_t size) {
        ZSTD_inBuffer in{data, size, 0};
        return static_cast<ZstdFile*>(self)->compress(a, in, ZSTD_e_continue)
                   ? static_cast<la_ssize_t>(size)
                   : -1;
    }
    static int close(struct archive* a, void* self) {
        auto* file = static_cast<ZstdFile*>(self);
        ZSTD_inBuffer none{nullptr, 0, 0};
        bool ok = file->compress(a, none, ZSTD_e_end);
        if (::close(std::exchange(file->fd_, -1)) != 0 && ok) {
            archive_set_error(a, errno, "%s", std::strerror(errno));
            ok = false;
        }
        return ok ? ARCHIVE_OK : ARCHIVE_FATAL;
    }

  private:
    bool compress(struct archive* a, ZSTD_inBuffer& in, ZSTD_EndDirective mode) {
        for (;;) {
            ZSTD_outBuffer out{buffer_.data(), buffer_.size(), 0};
            std::size_t left = ZSTD_compressStream2(cctx_, &out, &in, mode);
            if (ZSTD_isError(left)) {
                archive_set_error(a, EIO, "zstd: %s", ZSTD_getErrorName(left));
                return false;
            }
            if (!write_all(fd_, {buffer_.data(), out.pos})) {
                archive_set_error(a, errno, "%s", std::strerror(errno));
                return false;
            }
            if (mode == ZSTD_e_end ? left == 0 : in.pos == in.size)
                return true;
        }
    }
    int fd_ = -1;
    ZSTD_CCtx* cctx_ = nullptr;
    std::vector<char> buffer_ = std::vector<char>(ZSTD_CStreamOutSize());
};

} // namespace

Status pack_tree(const std::filesystem::path& root, const std::vector<std::string>& paths,
                 const std::filesystem::path& archive,
                 const std::map<std::string, std::filesystem::path>& content) {
    ZstdFile file; // outlives the archive, which closes it
    detail::WriteArchive a(archive_write_new());
    // Full pax, not pax_restricted: only full pax always records sub-second mtimes.
    archive_write_set_format_pax(a.get());
    archive_write_set_bytes_in_last_block(a.get(), 1);
    if (!file.open(archive))
        return fail(ExitCode::filesystem,
                    fmt::format("cannot create {}: {}", archive, std::strerror(errno)),
                    "check free disk space and the permissions of the directory");
    if (archive_write_open(a.get(), &file, nullptr, ZstdFile::write, ZstdFile::close) != ARCHIVE_OK)
        return detail::archive_error(fmt::format("cannot create {}", archive), a.get());
    std::vector<char> buffer(1 << 20);
    // Cargo hard-links build scripts (build-script-build and build_script_build-<hash>): the
    // second name is stored as a link, not as a second copy.
    std::map<std::pair<dev_t, ino_t>, std::string> first_names;
    for (const auto& rel : expand(root, paths)) {
        auto full = root / rel;
        struct stat st {};
        if (::lstat(full.c_str(), &st) != 0)
            continue;
        auto data = full; // where a regular file's bytes come from
        if (auto other = content.find(rel.generic_string());
            other != content.end() && S_ISREG(st.st_mode)) {
            struct stat replaced {};
            if (::stat(other->second.c_str(), &replaced) != 0)
                return fail(ExitCode::filesystem,
                            fmt::format("cannot read {}: {}", other->second, std::strerror(errno)),
                            "check the free space of the temporary directory");
            data = other->second;
            st.st_size = replaced.st_size;
        }
        bool second_name = false;
        detail::Entry entry(archive_entry_new());
        archive_entry_set_pathname(entry.get(), rel.generic_string().c_str());
        archive_entry_set_perm(entry.get(), st.st_mode & 07777);
        archive_entry_set_mtime(entry.get(), st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
        if (S_ISDIR(st.st_mode)) {
            archive_entry_set_filetype(entry.get(), AE_IFDIR);
        } else if (S_ISLNK(st.st_mode)) {
            archive_entry_set_filetype(entry.get(), AE_IFLNK);
            std::error_code ec;
            archive_entry_set_symlink(entry.get(), std::filesystem::read_symlink(full, ec).c_str());
        } else if (S_ISREG(st.st_mode)) {
            archive_entry_set_filetype(entry.get(), AE_IFREG);
            archive_entry_set_size(entry.get(), st.st_size);
            if (st.st_nlink > 1) {
                auto [it, first] =
                    first_names.try_emplace({st.st_dev, st.st_ino}, rel.generic_string());
                if (!first) {
                    archive_entry_set_hardlink(entry.get(), it->second.c_str());
                    archive_entry_set_size(entry.get(), 0);
                    second_name = true;
                }
            }
        } else {
            continue; // sockets and fifos have no place in a cache
        }
        if (archive_write_header(a.get(), entry.get()) != ARCHIVE_OK)
            return detail::archive_error(fmt::format("cannot add {}", rel), a.get());
        if (S_ISREG(st.st_mode) && !second_name) {
            std::ifstream in(data, std::ios::binary);
            while (in) {
                in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
                if (in.gcount() > 0 && archive_write_data(a.get(), buffer.data(),
                                                          static_cast<size_t>(in.gcount())) < 0)
                    return detail::archive_error(fmt::format("cannot write {}", rel), a.get());
            }
        }
    }
    if (archive_write_close(a.get()) != ARCHIVE_OK)
        return detail::archive_error(fmt::format("cannot finish {}", archive), a.get());
    return {};
}

namespace {

// A regular file's bytes, whole, into `data` (sized to fit them).
Status read_data(detail::ReadArchive& a, const std::filesystem::path& rel, const std::string& what,
                 FileWriters::Bytes& data) {
    std::size_t got = 0;
    la_ssize_t n = 0;
    while (got < data.size &&
           (n = archive_read_data(a.get(), data.memory.get() + got, data.size - got)) > 0)
        got += static_cast<std::size_t>(n);
    if (n < 0 || got < data.size)
        return detail::archive_error(fmt::format("cannot read {} from {}", rel, what), a.get());
    return {};
}

// A directory entry, given its mode and mtime once everything is in place.
struct Directory {
    std::filesystem::path rel;
    timespec mtime;
    mode_t mode;
};

// The archive's hard links (name, earlier file), made once every file is written: to a file
// written into the staging directory, or to one already in the root (kept, not rewritten).
Status
link_second_names(const std::vector<std::pair<std::filesystem::path, std::filesystem::path>>& links,
                  const std::set<std::filesystem::path>& written, int staging, int root_fd,
                  const std::filesystem::path& root) {
    Parents staged(staging);
    for (const auto& [rel, target] : links) {
        auto to = staged.of(rel, true);
        Parents origin(written.contains(target) ? staging : root_fd);
        auto from = origin.of(target, false);
        if (!to || !from)
            return std::unexpected(cannot_restore(root / rel, !to ? to.error() : from.error()));
        const std::string leaf = rel.filename();
        ::unlinkat((*to)->fd(), leaf.c_str(), 0);
        if (::linkat((*from)->fd(), target.filename().c_str(), (*to)->fd(), leaf.c_str(), 0) != 0)
            return std::unexpected(cannot_restore(root / rel, errno));
    }
    return {};
}

// Everything checked and written: moves the staging directory's contents into place (renames
// keep the mtimes), then gives the archive's directories their modes and mtimes.
Status commit(int staging, int root_fd, const std::filesystem::path& root,
              const std::vector<Directory>& directories) {
    RCD_CHECK(merge_into(staging, root_fd, root));
    for (const auto& dir : directories) {
        if (dir.rel.empty() || dir.rel == ".")
            continue; // the root's own mode is not the archive's to change
        auto fd = open_beneath(root_fd, dir.rel, true);
        if (!fd)
            return std::unexpected(cannot_restore(root / dir.rel, fd.error()));
        ::fchmod(fd->fd(), dir.mode);
    }
    // Directories last, deepest first: moving files into them changed their mtimes.
    for (auto it = directories.rbegin(); it != directories.rend(); ++it) {
        timespec times[2] = {it->mtime, it->mtime};
        if (auto fd = open_beneath(root_fd, it->rel, false))
            ::futimens(fd->fd(), times);
    }
    return {};
}

// Unpacks what `a` reads (`what` names it in messages), at most `max_bytes` of file contents.
// `before_commit` may still refuse everything once every entry was read and written.
Status unpack_from(detail::ReadArchive& a, const std::string& what,
                   const std::filesystem::path& root, std::int64_t max_bytes,
                   const std::function<Status()>& before_commit) {
    // One pass into a staging directory inside the target: an entry that is refused leaves
    // nothing behind, and nothing reaches `root` until every entry was checked and written.
    // Every write goes through descriptors opened beneath the staging directory or the root,
    // never following a link, so no entry, alone or with others, lands outside them.
    std::error_code ec;
    static std::atomic<int> unpacks{0}; // several archives may unpack at once
    const std::string staging_name = fmt::format(".rcd-unpack-{}-{}", ::getpid(), ++unpacks);
    auto staging = root / staging_name;
    std::filesystem::remove_all(staging, ec);
    std::filesystem::create_directories(staging, ec);
    Dir root_dir(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    auto staging_dir = open_beneath(root_dir.fd(), staging_name, false);
    if (ec || root_dir.fd() < 0 || !staging_dir)
        return fail(
            ExitCode::filesystem,
            fmt::format("cannot create {}: {}", staging, ec ? ec.message() : std::strerror(errno)),
            "check the permissions of the target directory");
    struct Cleanup {
        std::filesystem::path dir;
        ~Cleanup() {
            std::error_code ignored;
            std::filesystem::remove_all(dir, ignored); // removes links, never follows them
        }
    } cleanup{staging};

    std::vector<Directory> directories;
    Seen seen;                               // every regular file and link so far
    std::set<std::filesystem::path> written; // the regular files written into the staging dir
    std::vector<std::pair<std::filesystem::path, std::filesystem::path>> links; // name, target
    Parents staged(staging_dir->fd()), in_root(root_dir.fd());
    std::int64_t total = 0; // bytes of file contents so far
    FileWriters writers(std::clamp(std::thread::hardware_concurrency(), 1U, 4U), 64 << 20);
    archive_entry* entry = nullptr;
    int rc = ARCHIVE_OK;
    while ((rc = archive_read_next_header(a.get(), &entry)) == ARCHIVE_OK) {
        RCD_CHECK(check_entry(entry, seen, max_bytes));
        const auto rel = entry_path(entry);
        timespec mtime{archive_entry_mtime(entry), archive_entry_mtime_nsec(entry)};
        // Permissions only: no setuid or setgid bit comes out of a cache.
        auto mode = static_cast<mode_t>(archive_entry_perm(entry)) & 01777;
        if (const char* link_target = archive_entry_hardlink(entry)) {
            // A second name of an earlier file, linked once every file is written.
            links.emplace_back(rel, std::filesystem::path(link_target).lexically_normal());
            continue;
        }
        // A link already in the root on the entry's path is refused now, not at the commit.
        const bool is_dir = archive_entry_filetype(entry) == AE_IFDIR;
        if (auto there = in_root.of(is_dir ? rel / "." : rel, false);
            !there && there.error() != ENOENT)
            return std::unexpected(cannot_restore(root / rel, there.error()));
        if (is_dir) {
            directories.push_back({rel, mtime, mode});
            continue;
        }
        auto parent = staged.of(rel, true);
        if (!parent)
            return std::unexpected(cannot_restore(root / rel, parent.error()));
        const std::string leaf = rel.filename();
        if (archive_entry_filetype(entry) == AE_IFLNK) {
            if (::symlinkat(archive_entry_symlink(entry), (*parent)->fd(), leaf.c_str()) != 0)
                return std::unexpected(cannot_restore(root / rel, errno));
            timespec times[2] = {mtime, mtime};
            ::utimensat((*parent)->fd(), leaf.c_str(), times, AT_SYMLINK_NOFOLLOW);
            seen.links.insert(rel);
            continue;
        }
        const auto size = archive_entry_size(entry);
        total += size;
        if (total > max_bytes)
            return std::unexpected(
                refuse(rel.string(),
                       fmt::format("the archive expands past {} bytes, its limit", max_bytes)));
        // The same file is there already (cargo names units by hash, so the same name, size
        // and mtime are the same contents): profiles share their host artifacts.
        struct stat st {};
        if (auto there = in_root.of(rel, false);
            there && ::fstatat((*there)->fd(), leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISREG(st.st_mode) && st.st_size == size && st.st_mtim.tv_sec == mtime.tv_sec &&
            st.st_mtim.tv_nsec == mtime.tv_nsec) {
            archive_read_data_skip(a.get());
            seen.regular.insert(rel);
            continue;
        }
        auto data = writers.buffer(static_cast<std::size_t>(size));
        RCD_CHECK(read_data(a, rel, what, data));
        if (written.contains(rel)) // a name given twice: the later bytes win, as in tar
            RCD_CHECK(writers.finish());
        if (!writers.write({*parent, leaf, root / rel, std::move(data), mode, mtime}))
            return writers.finish();
        seen.regular.insert(rel);
        written.insert(rel);
    }
    if (rc != ARCHIVE_EOF)
        return detail::archive_error(fmt::format("cannot read {}", what), a.get());
    RCD_CHECK(writers.finish());
    RCD_CHECK(link_second_names(links, written, staging_dir->fd(), root_dir.fd(), root));
    if (before_commit)
        RCD_CHECK(before_commit());
    return commit(staging_dir->fd(), root_dir.fd(), root, directories);
}

detail::ReadArchive tar_reader() {
    detail::ReadArchive a(archive_read_new());
    archive_read_support_format_tar(a.get());
    archive_read_support_filter_zstd(a.get());
    archive_read_support_filter_none(a.get());
    return a;
}

// libarchive's reader of a GrowingFile: waits for the writer, and fails when it started over
// or failed.
struct Follower {
    const GrowingFile& file;
    std::int64_t size; // what its descriptor says: a longer download is refused
    std::int64_t offset = 0;
    std::vector<char> buffer = std::vector<char>(1 << 20);
};

la_ssize_t follow(struct archive* a, void* data, const void** out) {
    auto* f = static_cast<Follower*>(data);
    auto state = f->file.wait_beyond(f->offset);
    if (state.broken) {
        archive_set_error(a, EIO, "the download failed or started over");
        return ARCHIVE_FATAL;
    }
    if (state.size <= f->offset) // finished, whole and checked
        return 0;
    if (state.size > f->size) {
        archive_set_error(a, EFBIG, "the download is larger than its descriptor says");
        return ARCHIVE_FATAL;
    }
    auto want =
        std::min<std::int64_t>(static_cast<std::int64_t>(f->buffer.size()), state.size - f->offset);
    ssize_t n;
    do
        n = ::pread(state.fd, f->buffer.data(), static_cast<std::size_t>(want), f->offset);
    while (n < 0 && errno == EINTR);
    if (n <= 0) {
        archive_set_error(a, n < 0 ? errno : EIO, "cannot read the download");
        return ARCHIVE_FATAL;
    }
    f->offset += n;
    *out = f->buffer.data();
    return n;
}

} // namespace

std::int64_t expansion_limit(std::int64_t compressed, const std::filesystem::path& root) {
    std::int64_t ratio = 8;
    if (const char* text = std::getenv("RCD_CACHE_MAX_EXPANSION"))
        ratio = std::clamp<std::int64_t>(std::atoll(text), 1, 1 << 20);
    std::int64_t limit = std::max<std::int64_t>(compressed, 1) * ratio;
    struct statvfs fs {};
    if (::statvfs(root.c_str(), &fs) == 0) {
        constexpr std::int64_t kMargin = 64 << 20; // what the stages still need to write
        auto free = static_cast<std::int64_t>(fs.f_bavail) * static_cast<std::int64_t>(fs.f_frsize);
        limit = std::min(limit, std::max<std::int64_t>(free - kMargin, 0));
    }
    return limit;
}

Status unpack_tree(const std::filesystem::path& archive, const std::filesystem::path& root) {
    auto a = tar_reader();
    std::error_code ec;
    auto size = static_cast<std::int64_t>(std::filesystem::file_size(archive, ec));
    if (ec || archive_read_open_filename(a.get(), archive.c_str(), 1 << 20) != ARCHIVE_OK)
        return detail::archive_error(fmt::format("cannot open {}", archive), a.get());
    return unpack_from(a, archive.string(), root, expansion_limit(size, root), {});
}

Status unpack_tree(const GrowingFile& archive, std::int64_t size,
                   const std::filesystem::path& root) {
    Follower follower{archive, size}; // outlives the reader that calls back into it
    auto a = tar_reader();
    if (archive_read_open(a.get(), &follower, nullptr, follow, nullptr) != ARCHIVE_OK)
        return detail::archive_error("cannot read the download", a.get());
    // The tar may end before the file does: nothing is committed before the whole file
    // matched its digest.
    return unpack_from(a, "the download", root, expansion_limit(size, root), [&]() -> Status {
        if (!archive.wait_finished().good)
            return fail(ExitCode::filesystem, "the download failed or started over",
                        "nothing was restored from it");
        return {};
    });
}

} // namespace rcd::cache
