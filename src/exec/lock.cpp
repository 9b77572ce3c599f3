#include "rcd/exec/lock.hpp"

#include "rcd/util/fs.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/std.h>
#include <string>
#include <sys/file.h>
#include <unistd.h>
#include <utility>

namespace rcd::exec {

namespace {
long read_holder(int fd) {
    char buffer[32] = {};
    ssize_t n = ::pread(fd, buffer, sizeof buffer - 1, 0);
    return n > 0 ? std::strtol(buffer, nullptr, 10) : 0;
}
} // namespace

Result<DirectoryLock> DirectoryLock::acquire(const std::filesystem::path& lock_file, bool wait,
                                             const std::function<void(long holder)>& on_wait) {
    RCD_CHECK(util::create_directories(lock_file.parent_path()));
    int fd = ::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return fail(ExitCode::filesystem,
                    fmt::format("cannot open lock file {}: {}", lock_file, std::strerror(errno)),
                    "check the permissions of the target directory");
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        long holder = read_holder(fd);
        if (!wait) {
            ::close(fd);
            return fail(ExitCode::filesystem,
                        fmt::format("another rcd (pid {}) is using {}", holder,
                                    lock_file.parent_path().parent_path()),
                        "wait for it to finish, or run again without --no-wait to queue");
        }
        on_wait(holder);
        while (::flock(fd, LOCK_EX) != 0) {
            if (errno != EINTR) {
                ::close(fd);
                return fail(ExitCode::filesystem,
                            fmt::format("cannot lock {}: {}", lock_file, std::strerror(errno)),
                            "check the file system of the target directory");
            }
        }
    }
    std::string pid = std::to_string(::getpid());
    if (::ftruncate(fd, 0) == 0) {
        [[maybe_unused]] auto n = ::pwrite(fd, pid.data(), pid.size(), 0);
    }
    return DirectoryLock(fd);
}

DirectoryLock::DirectoryLock(DirectoryLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

DirectoryLock::~DirectoryLock() {
    if (fd_ >= 0)
        ::close(fd_); // closing drops the flock
}

} // namespace rcd::exec
