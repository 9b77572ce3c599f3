// A scratch directory per test, removed however the test ends.
#pragma once

#include <cstdlib>
#include <filesystem>

namespace rcd::test {

struct TempDir {
    std::filesystem::path path;

    TempDir() {
        char pattern[] = "/tmp/rcd-unit-XXXXXX";
        path = ::mkdtemp(pattern);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    std::filesystem::path operator/(const std::filesystem::path& p) const { return path / p; }
};

} // namespace rcd::test
