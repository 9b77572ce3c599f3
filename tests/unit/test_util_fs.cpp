#include "rcd/util/fs.hpp"

#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>

using namespace rcd;

TEST_CASE("an atomic write creates parents, replaces the file and leaves no temporary") {
    test::TempDir dir;
    auto file = dir / "a" / "b" / "result.json";
    REQUIRE(util::write_file_atomic(file, "first"));
    REQUIRE(util::write_file_atomic(file, "second"));
    CHECK(util::read_file(file) == "second");
    std::size_t entries = 0;
    for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(file.parent_path()))
        ++entries;
    CHECK(entries == 1);
}

TEST_CASE("reading a missing file is a file-system error naming it") {
    auto r = util::read_file("/nonexistent/x");
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ExitCode::filesystem);
    CHECK(r.error().message.find("/nonexistent/x") != std::string::npos);
}

TEST_CASE("an atomic write into an unwritable place fails with exit code 5") {
    auto r = util::write_file_atomic("/proc/rcd-cannot-write/x", "data");
    REQUIRE_FALSE(r);
    CHECK(r.error().code == ExitCode::filesystem);
}
