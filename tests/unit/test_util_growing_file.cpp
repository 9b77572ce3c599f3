#include "rcd/util/growing_file.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>
#include <unistd.h>

using namespace rcd;
using namespace std::chrono_literals;

TEST_CASE("a reader waits until the file grows past where it is, or ends") {
    util::GrowingFile file;
    std::thread writer([&] {
        file.open(::dup(STDIN_FILENO));
        std::this_thread::sleep_for(100ms);
        file.grew(10);
        std::this_thread::sleep_for(100ms);
        file.finish(true);
    });
    auto grown = file.wait_beyond(0);
    CHECK(grown.size == 10);
    CHECK(grown.fd >= 0);
    CHECK_FALSE(grown.finished);
    auto ended = file.wait_beyond(10);
    CHECK(ended.finished);
    CHECK(ended.good);
    CHECK_FALSE(ended.broken);
    writer.join();
}

TEST_CASE("a file that started over or failed is broken for its reader") {
    SECTION("started over, then finished") {
        util::GrowingFile file;
        file.grew(5);
        file.restarted();
        file.grew(20);
        file.finish(true);
        auto state = file.wait_finished();
        CHECK(state.broken);
        CHECK_FALSE(state.good);
    }
    SECTION("failed") {
        util::GrowingFile file;
        file.grew(5);
        file.finish(false);
        auto state = file.wait_beyond(5);
        CHECK(state.broken);
        CHECK_FALSE(state.good);
    }
}
