#include "rcd/util/fs.hpp"

#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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

TEST_CASE("a configuration file is a regular file of at most 1 MiB; anything else is exit 2") {
    test::TempDir dir;
    REQUIRE(util::write_file_atomic(dir / "rcd.yaml", "name: x\n"));
    CHECK(util::read_config_file(dir / "rcd.yaml") == "name: x\n");

    REQUIRE(::mkfifo((dir / "fifo.yaml").c_str(), 0644) == 0); // would block a plain read
    std::filesystem::create_directories(dir / "dir.yaml");
    REQUIRE(util::write_file_atomic(dir / "big.yaml", std::string((1 << 20) + 1, '#')));
    for (const auto& [name, why] :
         {std::pair{"fifo.yaml", "FIFO"}, std::pair{"dir.yaml", "directory"},
          std::pair{"big.yaml", "more than the 1048576"}}) {
        auto read = util::read_config_file(dir / name);
        REQUIRE_FALSE(read);
        CHECK(read.error().code == ExitCode::usage);
        CHECK(read.error().message.find(why) != std::string::npos);
        CHECK(read.error().message.find(name) != std::string::npos);
    }
}

TEST_CASE("what a killed run left is removed; what a live run is writing is not") {
    test::TempDir dir;
    pid_t dead = ::fork(); // a process that is gone by the time leftovers are looked at
    if (dead == 0)
        ::_exit(0);
    int status = 0;
    ::waitpid(dead, &status, 0);
    const auto live = ::getpid();
    REQUIRE(util::write_file_atomic(dir / fmt::format("incoming-{}-1", dead), "torn"));
    REQUIRE(util::write_file_atomic(dir / fmt::format(".rcd-unpack-{}-2/debug/x", dead), "x"));
    REQUIRE(util::write_file_atomic(dir / fmt::format("incoming-{}-3", live), "being written"));
    REQUIRE(util::write_file_atomic(dir / "incoming-notapid", "left alone"));
    CHECK(util::remove_stale(dir.path, "incoming-") == 1);
    CHECK(util::remove_stale(dir.path, ".rcd-unpack-") == 1);
    CHECK_FALSE(std::filesystem::exists(dir / fmt::format("incoming-{}-1", dead)));
    CHECK_FALSE(std::filesystem::exists(dir / fmt::format(".rcd-unpack-{}-2", dead)));
    CHECK(std::filesystem::exists(dir / fmt::format("incoming-{}-3", live)));
    CHECK(std::filesystem::exists(dir / "incoming-notapid"));
}
