// Writing an archive's files beneath a root, through directory descriptors only: nothing is
// ever followed out of the root. The unpacker (archive.cpp) checks entries; this writes them.
#pragma once

#include "rcd/util/fs.hpp"
#include "rcd/util/result.hpp"

#include <condition_variable>
#include <cstring>
#include <deque>
#include <expected>
#include <fcntl.h>
#include <filesystem>
#include <fmt/format.h>
#include <fmt/std.h>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

namespace rcd::cache::writer {

// A directory descriptor that closes itself.
class Dir {
  public:
    explicit Dir(int fd = -1) : fd_(fd) {}
    ~Dir() {
        if (fd_ >= 0)
            ::close(fd_);
    }
    Dir(Dir&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Dir& operator=(Dir&& other) noexcept {
        std::swap(fd_, other.fd_);
        return *this;
    }
    int fd() const { return fd_; }

  private:
    int fd_;
};

// Opens the directory `rel` beneath the directory `base`, creating what is missing when
// `create`. Every component opens with O_NOFOLLOW: a symbolic link anywhere on the way,
// whoever made it, is refused (ELOOP, ENOTDIR), never followed, so nothing this returns lies
// outside `base` (the portable form of openat2's RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS).
std::expected<Dir, int> open_beneath(int base, const std::filesystem::path& rel, bool create);

// A write beneath the root failed: the message says when a link or file was in the way.
Error cannot_restore(const std::filesystem::path& rel, int err);

// Moves what the directory `from` holds into the directory `to`: an entry `to` lacks moves
// whole, in one rename, and a directory both have is merged. Nothing is followed: a symbolic
// link in `to` is replaced, and `rel` (for messages) says where `to` is.
Status merge_into(int from, int to, const std::filesystem::path& rel);

// The parent directories of consecutive entries, opened once (an archive is sorted, so most
// entries share the previous one's).
class Parents {
  public:
    explicit Parents(int base) : base_(base) {}
    // The directory holding `rel`, beneath the base; created when `create`.
    std::expected<std::shared_ptr<const Dir>, int> of(const std::filesystem::path& rel,
                                                      bool create) {
        auto parent = rel.parent_path();
        if (!dir_ || parent != path_) {
            auto opened = open_beneath(base_, parent, create);
            if (!opened)
                return std::unexpected(opened.error());
            dir_ = std::make_shared<const Dir>(std::move(*opened));
            path_ = parent;
        }
        return dir_;
    }

  private:
    int base_;
    std::filesystem::path path_;
    std::shared_ptr<const Dir> dir_;
};

// Writes regular files on a few threads while one thread reads the archive: a restore is
// bounded by the kernel's copy into new page-cache pages, not by decompression, and that copy
// scales with cores. At most `max_queued` bytes wait at a time; the first failure stops every
// later write.
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
        std::shared_ptr<const Dir> dir; // where to write it: the directory
        std::string leaf;               // and the name in it
        std::filesystem::path name;     // what messages call it
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
        // Bounded in files too: each holds its directory open until it is written.
        constexpr std::size_t kMaxFiles = 256;
        changed_.wait(lock, [&] {
            return error_ || queued_ == 0 ||
                   (queued_ + file.data.size <= max_queued_ && pending_ < kMaxFiles);
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
        // Never through a link: a name the archive gave a link before stays a link.
        int fd = ::openat(file.dir->fd(), file.leaf.c_str(),
                          O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
        // In pieces the size of libarchive's blocks: whole-file writes can make the kernel
        // take large folios, which costs far more system time than it saves.
        constexpr std::size_t kPiece = 64 << 10;
        bool ok = fd >= 0;
        for (std::size_t at = 0; ok && at < file.data.size; at += kPiece)
            ok = util::write_all(
                fd, {file.data.memory.get() + at, std::min(kPiece, file.data.size - at)});
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

} // namespace rcd::cache::writer
