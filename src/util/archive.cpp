#include "rcd/util/archive.hpp"

#include "libarchive.hpp"
#include "rcd/util/fs.hpp"
#include "rcd/util/growing_file.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
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
#include <thread>
#include <unistd.h>

namespace rcd::util {

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

// `regular`: the regular files earlier in the archive, the only things a hard link may name.
Status check_entry(archive_entry* entry, const std::set<std::filesystem::path>& regular) {
    std::string path = archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "";
    auto refuse = [&](const std::string& why) {
        return fail(ExitCode::filesystem, fmt::format("refusing a cache entry '{}': {}", path, why),
                    "the cache archive is damaged or hostile; it will be rebuilt");
    };
    if (path.empty() || path.front() == '/')
        return refuse("absolute path");
    for (const auto& part : std::filesystem::path(path))
        if (part == "..")
            return refuse("'..' in its path");
    if (const char* target = archive_entry_hardlink(entry)) {
        if (!regular.contains(std::filesystem::path(target).lexically_normal()))
            return refuse("hard link to something that is not a file earlier in the archive");
        return {}; // a second name of a checked file (its type reads as none)
    }
    if (archive_entry_filetype(entry) == AE_IFLNK) {
        const char* target = archive_entry_symlink(entry);
        if (!link_stays_inside(path, target ? target : ""))
            return refuse("symbolic link leaving the target directory");
    }
    auto type = archive_entry_filetype(entry);
    if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK)
        return refuse("not a file, directory or link");
    return {};
}

} // namespace

Status pack_tree(const std::filesystem::path& root, const std::vector<std::string>& paths,
                 const std::filesystem::path& archive,
                 const std::map<std::string, std::filesystem::path>& content) {
    detail::WriteArchive a(archive_write_new());
    // Full pax, not pax_restricted: only full pax always records sub-second mtimes.
    archive_write_set_format_pax(a.get());
    archive_write_add_filter_zstd(a.get());
    // Both cores compress; a libarchive without the option compresses on one.
    archive_write_set_filter_option(a.get(), "zstd", "threads", "2");
    if (archive_write_open_filename(a.get(), archive.c_str()) != ARCHIVE_OK)
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

// Moves what `from` holds into `to`: an entry `to` lacks moves whole, in one rename, and a
// directory both have is merged. A symbolic link in `to` is replaced, never followed.
Status merge_into(const std::filesystem::path& from, const std::filesystem::path& to) {
    std::error_code ec;
    std::vector<std::filesystem::directory_entry> entries; // read whole before moving any
    for (auto it = std::filesystem::directory_iterator(from, ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
        entries.push_back(*it);
    if (ec)
        return fail(ExitCode::filesystem, fmt::format("cannot read {}: {}", from, ec.message()),
                    "check the permissions of the target directory");
    for (const auto& entry : entries) {
        auto dest = to / entry.path().filename();
        std::error_code ignored;
        if (entry.symlink_status(ignored).type() == std::filesystem::file_type::directory &&
            std::filesystem::symlink_status(dest, ignored).type() ==
                std::filesystem::file_type::directory) {
            RCD_CHECK(merge_into(entry.path(), dest));
            continue;
        }
        std::filesystem::rename(entry.path(), dest, ec);
        if (ec)
            return fail(ExitCode::filesystem,
                        fmt::format("cannot restore {}: {}", dest, ec.message()),
                        "check the permissions of the target directory");
    }
    return {};
}

// Writes regular files on a few threads while one thread reads the archive: a restore is
// bounded by the kernel's copy into new page-cache pages, not by decompression, and that copy
// scales with cores (a test profile's 243 MB on this 2-core VM, its memory untouched since the
// host took it back: 0.65-0.74 s written by the reading thread, 0.40-0.56 s by two writers).
// At most `max_queued` bytes wait at a time; the first failure stops every later write.
class FileWriters {
  public:
    // A file's bytes: resizing keeps the memory when it can, and never fills it.
    struct Bytes {
        std::unique_ptr<char[]> memory;
        std::size_t size = 0;
        std::size_t capacity = 0;
        void resize(std::size_t n) {
            if (n > capacity) {
                memory = std::make_unique_for_overwrite<char[]>(n);
                capacity = n;
            }
            size = n;
        }
    };
    struct File {
        std::filesystem::path path; // where to write it
        std::filesystem::path name; // what messages call it
        Bytes data;
        mode_t mode;
        timespec mtime;
    };

    FileWriters(unsigned threads, std::size_t max_queued) : max_queued_(max_queued) {
        for (unsigned i = 0; i < threads; ++i)
            threads_.emplace_back([this] { work(); });
    }
    ~FileWriters() {
        {
            std::lock_guard lock(mutex_);
            closing_ = true;
            files_.clear(); // an unpack that failed: what waits is never needed
        }
        changed_.notify_all();
    } // the jthreads join
    FileWriters(const FileWriters&) = delete;
    FileWriters& operator=(const FileWriters&) = delete;

    // Queues `file`, waiting for room; a file larger than the bound waits for an empty queue.
    // False once a write failed: finish() says why.
    bool write(File file) {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] {
            return error_ || queued_ == 0 || queued_ + file.data.size <= max_queued_;
        });
        if (error_)
            return false;
        queued_ += file.data.size;
        ++pending_;
        files_.push_back(std::move(file));
        changed_.notify_all();
        return true;
    }

    // A buffer of `size` bytes for the next file: one a written file left behind when one is,
    // so that its memory is mapped already (fresh pages cost as much as the page cache's here).
    Bytes buffer(std::size_t size) {
        Bytes out;
        {
            std::lock_guard lock(mutex_);
            // The smallest that is large enough, else the largest.
            auto fits = [&](const Bytes& b) { return b.capacity >= size; };
            auto best = spare_.begin();
            for (auto it = spare_.begin(); it != spare_.end(); ++it)
                if (fits(*it) ? !fits(*best) || it->capacity < best->capacity
                              : !fits(*best) && it->capacity > best->capacity)
                    best = it;
            if (best != spare_.end()) {
                out = std::move(*best);
                spare_.erase(best);
            }
        }
        out.resize(size);
        return out;
    }

    // Waits until every queued file is written; the first failure.
    Status finish() {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return pending_ == 0; });
        return error_ ? std::unexpected(*error_) : Status{};
    }

  private:
    void work() {
        std::unique_lock lock(mutex_);
        for (;;) {
            changed_.wait(lock, [&] { return closing_ || !files_.empty(); });
            if (files_.empty())
                return;
            File file = std::move(files_.front());
            files_.pop_front();
            const bool skip = error_.has_value();
            lock.unlock();
            auto written = skip ? Status{} : write_one(file);
            lock.lock();
            if (!written && !error_)
                error_ = written.error();
            queued_ -= file.data.size;
            --pending_;
            spare_.push_back(std::move(file.data));
            changed_.notify_all();
        }
    }

    static Status write_one(const File& file) {
        int fd = ::open(file.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, file.mode);
        // In pieces the size of libarchive's blocks: whole-file writes made the kernel take
        // large folios, and on this VM that tripled the system time (0.45 s against 0.13 s for
        // the 243 MB of a test profile's archive).
        constexpr std::size_t kPiece = 64 << 10;
        bool ok = fd >= 0;
        for (std::size_t at = 0; ok && at < file.data.size; at += kPiece)
            ok =
                write_all(fd, {file.data.memory.get() + at, std::min(kPiece, file.data.size - at)});
        if (!ok) {
            int err = errno;
            if (fd >= 0)
                ::close(fd);
            return fail(ExitCode::filesystem,
                        fmt::format("cannot write {}: {}", file.name, std::strerror(err)),
                        "check free disk space and the permissions of the target directory");
        }
        timespec times[2] = {file.mtime, file.mtime};
        ::fchmod(fd, file.mode);
        ::futimens(fd, times);
        ::close(fd);
        return {};
    }

    const std::size_t max_queued_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<File> files_;
    std::vector<Bytes> spare_; // buffers of written files, for reuse
    std::size_t queued_ = 0;   // bytes in files not yet written
    std::size_t pending_ = 0;  // files queued or being written
    std::optional<Error> error_;
    bool closing_ = false;
    std::vector<std::jthread> threads_; // last: joined before the rest is destroyed
};

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

// Unpacks what `a` reads (`what` names it in messages). `before_commit` may still refuse
// everything once every entry was read and written.
Status unpack_from(detail::ReadArchive& a, const std::string& what,
                   const std::filesystem::path& root,
                   const std::function<Status()>& before_commit) {
    // One pass into a staging directory beside the target: an entry that is refused leaves
    // nothing behind, and nothing reaches `root` until every entry was checked and written.
    std::error_code ec;
    static std::atomic<int> unpacks{0}; // several archives may unpack at once
    auto staging = root / fmt::format(".rcd-unpack-{}-{}", ::getpid(), ++unpacks);
    std::filesystem::remove_all(staging, ec);
    std::filesystem::create_directories(staging, ec);
    if (ec)
        return fail(ExitCode::filesystem,
                    fmt::format("cannot create {}: {}", staging, ec.message()),
                    "check the permissions of the target directory");
    struct Cleanup {
        std::filesystem::path dir;
        ~Cleanup() {
            std::error_code ignored;
            std::filesystem::remove_all(dir, ignored);
        }
    } cleanup{staging};

    struct Directory {
        std::filesystem::path rel;
        timespec mtime;
        mode_t mode;
    };
    std::vector<Directory> directories;
    std::set<std::filesystem::path> regular; // every regular file so far, written or kept
    std::set<std::filesystem::path> written; // those written into the staging directory
    std::vector<std::pair<std::filesystem::path, std::filesystem::path>> links; // name, target
    FileWriters writers(std::clamp(std::thread::hardware_concurrency(), 1U, 4U), 64 << 20);
    archive_entry* entry = nullptr;
    int rc = ARCHIVE_OK;
    while ((rc = archive_read_next_header(a.get(), &entry)) == ARCHIVE_OK) {
        RCD_CHECK(check_entry(entry, regular));
        std::filesystem::path rel =
            std::filesystem::path(archive_entry_pathname(entry)).lexically_normal();
        auto path = staging / rel;
        timespec mtime{archive_entry_mtime(entry), archive_entry_mtime_nsec(entry)};
        auto mode = static_cast<mode_t>(archive_entry_perm(entry));
        std::filesystem::create_directories(path.parent_path(), ec);
        if (const char* link_target = archive_entry_hardlink(entry)) {
            // A second name of an earlier file, linked once every file is written.
            links.emplace_back(rel, std::filesystem::path(link_target).lexically_normal());
            continue;
        }
        switch (archive_entry_filetype(entry)) {
        case AE_IFDIR:
            directories.push_back({rel, mtime, mode});
            continue;
        case AE_IFLNK: {
            std::filesystem::create_symlink(archive_entry_symlink(entry), path, ec);
            if (ec)
                return fail(ExitCode::filesystem,
                            fmt::format("cannot restore {}: {}", rel, ec.message()),
                            "check the permissions of the target directory");
            timespec times[2] = {mtime, mtime};
            ::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW);
            break;
        }
        default: {
            // The same file is there already (cargo names units by hash, so the same name,
            // size and mtime are the same contents): profiles share their host artifacts.
            struct stat st {};
            if (::lstat((root / rel).c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
                st.st_size == archive_entry_size(entry) && st.st_mtim.tv_sec == mtime.tv_sec &&
                st.st_mtim.tv_nsec == mtime.tv_nsec) {
                archive_read_data_skip(a.get());
                regular.insert(rel);
                continue;
            }
            const auto size =
                static_cast<std::size_t>(std::max<la_int64_t>(archive_entry_size(entry), 0));
            auto data = writers.buffer(size);
            RCD_CHECK(read_data(a, rel, what, data));
            if (written.contains(rel)) // a name given twice: the later bytes win, as in tar
                RCD_CHECK(writers.finish());
            if (!writers.write({path, root / rel, std::move(data), mode, mtime}))
                return writers.finish();
            regular.insert(rel);
            written.insert(rel);
        }
        }
    }
    if (rc != ARCHIVE_EOF)
        return detail::archive_error(fmt::format("cannot read {}", what), a.get());
    RCD_CHECK(writers.finish());
    for (const auto& [rel, target] : links) {
        auto path = staging / rel;
        auto from = written.contains(target) ? staging / target : root / target;
        std::filesystem::remove(path, ec);
        if (::link(from.c_str(), path.c_str()) != 0)
            return fail(ExitCode::filesystem,
                        fmt::format("cannot restore {}: {}", rel, std::strerror(errno)),
                        "check the permissions of the target directory");
    }
    if (before_commit)
        RCD_CHECK(before_commit());

    // Everything checked and written: move it into place (renames keep the mtimes).
    RCD_CHECK(merge_into(staging, root));
    for (const auto& dir : directories) {
        std::filesystem::create_directories(root / dir.rel, ec);
        ::chmod((root / dir.rel).c_str(), dir.mode);
    }
    // Directories last, deepest first: moving files into them changed their mtimes.
    for (auto it = directories.rbegin(); it != directories.rend(); ++it) {
        timespec times[2] = {it->mtime, it->mtime};
        ::utimensat(AT_FDCWD, (root / it->rel).c_str(), times, 0);
    }
    return {};
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

Status unpack_tree(const std::filesystem::path& archive, const std::filesystem::path& root) {
    auto a = tar_reader();
    if (archive_read_open_filename(a.get(), archive.c_str(), 1 << 20) != ARCHIVE_OK)
        return detail::archive_error(fmt::format("cannot open {}", archive), a.get());
    return unpack_from(a, archive.string(), root, {});
}

Status unpack_tree(const GrowingFile& archive, const std::filesystem::path& root) {
    Follower follower{archive}; // outlives the reader that calls back into it
    auto a = tar_reader();
    if (archive_read_open(a.get(), &follower, nullptr, follow, nullptr) != ARCHIVE_OK)
        return detail::archive_error("cannot read the download", a.get());
    // The tar may end before the file does: nothing is committed before the whole file
    // matched its digest.
    return unpack_from(a, "the download", root, [&]() -> Status {
        if (!archive.wait_finished().good)
            return fail(ExitCode::filesystem, "the download failed or started over",
                        "nothing was restored from it");
        return {};
    });
}

} // namespace rcd::util
