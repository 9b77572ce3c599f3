#include "rcd/cache/lanes.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

using namespace rcd;

TEST_CASE("restores take turns in item order across lanes, whatever the threads' timing") {
    // Lane "b" holds items 1 and 3; the first item of lane "a" is slow outside its turn.
    const std::vector<std::string> lane_of = {"a", "b", "a", "b"};
    std::mutex mutex;
    std::vector<std::size_t> turns;
    std::vector<std::string> log;
    auto results = cache::run_lanes(
        lane_of,
        [&](std::size_t i) {
            std::lock_guard lock(mutex);
            turns.push_back(i);
            return i != 1; // item 1 is not restored
        },
        [&](std::size_t i, bool restored) -> Status {
            if (i == 0)
                std::this_thread::sleep_for(std::chrono::milliseconds(300));
            std::lock_guard lock(mutex);
            log.push_back(std::to_string(i) + (restored ? "+" : "-"));
            return {};
        });
    CHECK(turns == std::vector<std::size_t>{0, 1, 2, 3});
    REQUIRE(results.size() == 2);
    CHECK(results[0]);
    CHECK(results[1]);
    // Lane "b" went on while lane "a" was busy after its first turn.
    CHECK(log.front() == "1-");
    CHECK(std::find(log.begin(), log.end(), "2+") > std::find(log.begin(), log.end(), "0+"));
}

TEST_CASE("a lane that fails stops, and passes its later turns so no other lane waits") {
    const std::vector<std::string> lane_of = {"a", "b", "a", "b"};
    std::mutex mutex;
    std::vector<std::size_t> turns;
    auto results = cache::run_lanes(
        lane_of,
        [&](std::size_t i) {
            std::lock_guard lock(mutex);
            turns.push_back(i);
            return false;
        },
        [&](std::size_t i, bool) -> Status {
            if (i == 0)
                return fail(ExitCode::interrupted, "stopped");
            return {};
        });
    CHECK(turns == std::vector<std::size_t>{0, 1, 3});
    REQUIRE(results.size() == 2);
    REQUIRE_FALSE(results[0]);
    CHECK(results[0].error().message == "stopped");
    CHECK(results[1]);
}

TEST_CASE("no items, no lanes") {
    auto results = cache::run_lanes(
        {}, [](std::size_t) { return true; }, [](std::size_t, bool) { return Status{}; });
    CHECK(results.empty());
}

TEST_CASE(
    "within a lane the largest archive takes the lane's first turn; lanes keep their places") {
    using Order = std::vector<std::size_t>;
    // clippy and test share "debug"; release has its own lane.
    CHECK(cache::largest_first_within_lanes({"debug", "debug", "release"}, {23, 40, 26}) ==
          Order{1, 0, 2});
    CHECK(cache::largest_first_within_lanes({"debug", "release", "debug"}, {23, 26, 40}) ==
          Order{2, 1, 0});
    CHECK(cache::largest_first_within_lanes({"debug", "debug", "release"}, {40, 23, 26}) ==
          Order{0, 1, 2});
    CHECK(cache::largest_first_within_lanes({"a", "a", "a"}, {5, 5, 7}) ==
          Order{2, 0, 1}); // ties keep order
    CHECK(cache::largest_first_within_lanes({}, {}).empty());
}
