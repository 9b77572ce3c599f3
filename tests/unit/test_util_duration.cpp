#include "rcd/util/duration.hpp"

#include <catch2/catch.hpp>

using rcd::util::parse_duration;
using namespace std::chrono_literals;

TEST_CASE("durations take units from ms to h and combine them") {
    CHECK(parse_duration("90s") == 90s);
    CHECK(parse_duration("10m") == 10min);
    CHECK(parse_duration("1h30m") == 90min);
    CHECK(parse_duration("500ms") == 500ms);
}

TEST_CASE("a duration without a unit or with a bad one is rejected") {
    CHECK_FALSE(parse_duration("90"));
    CHECK_FALSE(parse_duration("10 m"));
    CHECK_FALSE(parse_duration("10y"));
    CHECK_FALSE(parse_duration(""));
    CHECK_FALSE(parse_duration("s"));
}
