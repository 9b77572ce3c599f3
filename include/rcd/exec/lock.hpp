// One rcd at a time per target directory: an flock on target/rcd/lock.
#pragma once

#include "rcd/util/result.hpp"

#include <filesystem>
#include <functional>

namespace rcd::exec {

class DirectoryLock {
  public:
    // With `wait`, blocks until the holder finishes, calling `on_wait` once first with the
    // holder's pid (0 if unknown); without, fails at once with exit code 5.
    static Result<DirectoryLock> acquire(const std::filesystem::path& lock_file, bool wait,
                                         const std::function<void(long holder)>& on_wait);

    DirectoryLock(DirectoryLock&& other) noexcept;
    DirectoryLock& operator=(DirectoryLock&&) = delete;
    DirectoryLock(const DirectoryLock&) = delete;
    ~DirectoryLock();

  private:
    explicit DirectoryLock(int fd) : fd_(fd) {}
    int fd_ = -1;
};

} // namespace rcd::exec
