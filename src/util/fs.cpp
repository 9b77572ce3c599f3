#include "rcd/util/fs.hpp"

#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/std.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace rcd::util {

namespace {
std::unexpected<Error> fs_error(std::string what, const std::filesystem::path& path, int err) {
    return fail(ExitCode::filesystem, fmt::format("{} {}: {}", what, path, std::strerror(err)),
                "check that the path exists and is writable");
}
} // namespace

Result<std::string> read_file(const std::filesystem::path& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fs_error("cannot read", path, errno);
    // Sized once from fstat and read straight in: no stream buffer, no second copy. A file
    // whose size says nothing (/proc) still reads to its end.
    struct stat st {};
    std::string data;
    if (::fstat(fd, &st) == 0 && st.st_size > 0)
        data.resize(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    char more[65536];
    for (;;) {
        const bool full = got == data.size(); // then only what is past the size fstat told
        ssize_t n =
            full ? ::read(fd, more, sizeof more) : ::read(fd, data.data() + got, data.size() - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int error = errno;
            ::close(fd);
            return fs_error("cannot read", path, error);
        }
        if (n == 0)
            break;
        if (full)
            data.append(more, static_cast<std::size_t>(n));
        got += static_cast<std::size_t>(n);
    }
    ::close(fd);
    data.resize(got);
    return data;
}

Result<std::string> read_config_file(const std::filesystem::path& path, std::size_t max_bytes) {
    // O_NONBLOCK: opening a FIFO for reading would wait for a writer.
    int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return fs_error("cannot read", path, errno);
    struct stat st {};
    ::fstat(fd, &st);
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        return fail(ExitCode::usage,
                    fmt::format("{} is not a regular file (it is a {})", path,
                                S_ISDIR(st.st_mode)    ? "directory"
                                : S_ISFIFO(st.st_mode) ? "FIFO"
                                                       : "special file"),
                    "point at a YAML file");
    }
    if (static_cast<std::size_t>(st.st_size) > max_bytes) {
        ::close(fd);
        return fail(ExitCode::usage,
                    fmt::format("{} is {} bytes, more than the {} a configuration file may have",
                                path, st.st_size, max_bytes),
                    "check that it is the right file");
    }
    std::string text(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t got = 0;
    while (got < text.size()) {
        ssize_t n = ::read(fd, text.data() + got, text.size() - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += static_cast<std::size_t>(n);
    }
    ::close(fd);
    text.resize(got);
    return text;
}

int remove_stale(const std::filesystem::path& dir, std::string_view prefix) {
    int removed = 0;
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator(dir, ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (!name.starts_with(prefix))
            continue;
        long pid = 0;
        auto digits = std::string_view(name).substr(prefix.size());
        auto [end, parsed] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
        if (parsed != std::errc() || end == digits.data() || *end != '-' || pid <= 0)
            continue;
        if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM)
            continue; // that run is still at work
        std::error_code ignored;
        if (std::filesystem::remove_all(it->path(), ignored) > 0)
            ++removed;
    }
    return removed;
}

Status create_directories(const std::filesystem::path& path) {
    std::error_code ec;
    std::filesystem::create_directories(path, ec);
    if (ec)
        return fail(ExitCode::filesystem,
                    fmt::format("cannot create directory {}: {}", path, ec.message()),
                    "check the permissions of its parent directory");
    return {};
}

bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return false;
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

Status write_file_atomic(const std::filesystem::path& path, std::string_view content) {
    if (path.has_parent_path()) {
        if (auto made = util::create_directories(path.parent_path()); !made)
            return made;
    }
    std::string temp = fmt::format("{}.tmp.{}", path.string(), ::getpid());
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return fs_error("cannot create", temp, errno);
    if (!write_all(fd, content)) {
        int err = errno;
        ::close(fd);
        ::unlink(temp.c_str());
        return fs_error("cannot write", temp, err);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        int err = errno;
        ::unlink(temp.c_str());
        return fs_error("cannot write", temp, err);
    }
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        int err = errno;
        ::unlink(temp.c_str());
        return fs_error("cannot rename into", path, err);
    }
    return {};
}

std::string self_executable() {
    std::error_code ec;
    auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? std::string("rcd") : path.string();
}

} // namespace rcd::util
