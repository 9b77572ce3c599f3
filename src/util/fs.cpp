#include "rcd/util/fs.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/std.h>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace rcd::util {

namespace {
std::unexpected<Error> fs_error(std::string what, const std::filesystem::path& path, int err) {
    return fail(ExitCode::filesystem, fmt::format("{} {}: {}", what, path, std::strerror(err)),
                "check that the path exists and is writable");
}
} // namespace

Result<std::string> read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return fs_error("cannot read", path, errno);
    std::ostringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
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

} // namespace rcd::util
