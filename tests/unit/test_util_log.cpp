#include "rcd/util/fs.hpp"
#include "rcd/util/log.hpp"

#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <unistd.h>
#include <utility>
#include <vector>

using namespace rcd;

TEST_CASE("the log file takes every level, with time, process and level; the terminal its own") {
    test::TempDir dir;
    const auto file = dir / "logs" / "rcd.log";
    REQUIRE(log::open_file(file));
    std::vector<std::pair<log::Level, std::string>> shown;
    {
        log::TerminalScope scope(
            [&](log::Level level, const std::string& line) { shown.emplace_back(level, line); });
        log::debug("registry {}: GET /v2/ -> {}", "r.example", 200);
        log::info("cache: release: restored");
        log::warn("the dependency cache was not pushed");
    }
    log::info("after the scope: only in the file");
    log::close_file();
    log::info("after the file: nowhere");

    REQUIRE(shown.size() == 3);
    CHECK(shown[0] ==
          std::pair{log::Level::debug, std::string("registry r.example: GET /v2/ -> 200")});
    CHECK(shown[1].first == log::Level::info);
    CHECK(shown[2].first == log::Level::warn);
    auto text = util::read_file(file);
    REQUIRE(text);
    CHECK(text->find(fmt::format(" {} debug registry r.example: GET /v2/ -> 200\n", ::getpid())) !=
          std::string::npos);
    CHECK(text->find(" warning the dependency cache was not pushed\n") != std::string::npos);
    CHECK(text->find("after the scope: only in the file") != std::string::npos);
    CHECK(text->find("after the file") == std::string::npos);
}

TEST_CASE("a registered secret never reaches a sink, wherever it appears in a line") {
    log::add_secret("hunter2-password");
    log::add_secret("abc"); // too short to mask: it would hide ordinary words
    CHECK(log::masked("user:hunter2-password@host hunter2-password") == "user:***@host ***");
    CHECK(log::masked("abc stays") == "abc stays");
    std::vector<std::string> shown;
    log::TerminalScope scope([&](log::Level, const std::string& line) { shown.push_back(line); });
    log::debug("Authorization: Basic hunter2-password");
    REQUIRE(shown.size() == 1);
    CHECK(shown[0] == "Authorization: Basic ***");
}

TEST_CASE("a log that cannot be written is an error naming the file") {
    test::TempDir dir;
    REQUIRE(util::write_file_atomic(dir / "logs", "a file where the directory should be"));
    auto opened = log::open_file(dir / "logs" / "rcd.log");
    REQUIRE_FALSE(opened);
    CHECK(opened.error().message.find((dir / "logs" / "rcd.log").string()) != std::string::npos);
}
