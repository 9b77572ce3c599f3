#include "rcd/bench/compare.hpp"

#include <catch2/catch.hpp>
#include <cmath>

using namespace rcd::bench;

namespace {
// A round of `n` samples around `center`, spread by `spread` (a fraction), deterministic.
Round round_of(double center, double spread, int n = 20, int seed = 1) {
    Round out;
    unsigned state = static_cast<unsigned>(seed) * 2654435761U;
    for (int i = 0; i < n; ++i) {
        state = state * 1103515245U + 12345U;
        const double unit = static_cast<double>((state >> 8) % 10000) / 10000.0 - 0.5;
        out.push_back(center * (1 + spread * unit));
    }
    return out;
}
std::vector<Round> rounds_of(double center, double spread, int seed) {
    return {round_of(center, spread, 20, seed), round_of(center, spread, 20, seed + 1),
            round_of(center, spread, 20, seed + 2)};
}
} // namespace

TEST_CASE("the rank test: identical samples are no change, a shift is found with its size") {
    const std::vector<double> a = {1, 2, 3, 4, 5, 6, 7, 8};
    auto same = rank_test(a, a, 0.01);
    CHECK(same.p_value == Approx(1.0).margin(0.05));
    CHECK(same.shift == 0);

    std::vector<double> b;
    for (double v : a)
        b.push_back(v + 10);
    auto shifted = rank_test(a, b, 0.01);
    CHECK(shifted.p_value < 0.01);
    CHECK(shifted.shift == 10);
    CHECK(shifted.low <= 10);
    CHECK(shifted.high >= 10);
}

TEST_CASE("the rank test's p-value matches the normal approximation by hand") {
    // a = {1, 2, 3}, b = {4, 5, 6}: U = 9, mean 4.5, variance 3*3*7/12 = 5.25,
    // z = (9 - 4.5 - 0.5) / sqrt(5.25) = 1.7457, two-sided p = 0.0809.
    auto test = rank_test({1, 2, 3}, {4, 5, 6}, 0.05);
    CHECK(test.p_value == Approx(0.0809).epsilon(0.01));
    CHECK(test.shift == 3);
}

TEST_CASE("a twice-as-slow benchmark is slower, with the change near +100 %") {
    auto c = compare(rounds_of(100, 0.05, 1), rounds_of(200, 0.05, 7), 0.05, {});
    CHECK(c.verdict == Verdict::slower);
    CHECK(c.change == Approx(1.0).margin(0.05));
    CHECK(c.low <= c.change);
    CHECK(c.high >= c.change);
    CHECK(c.rounds_agreeing == 3);
    CHECK(c.baseline_ns == Approx(100).margin(3));
    CHECK(c.candidate_ns == Approx(200).margin(6));
}

TEST_CASE("a faster benchmark is faster") {
    auto c = compare(rounds_of(100, 0.05, 1), rounds_of(70, 0.05, 4), 0.05, {});
    CHECK(c.verdict == Verdict::faster);
    CHECK(c.change == Approx(-0.3).margin(0.03));
}

TEST_CASE("the same distribution is unchanged") {
    auto c = compare(rounds_of(100, 0.04, 1), rounds_of(100, 0.04, 11), 0.05, {});
    CHECK(c.verdict == Verdict::unchanged);
    CHECK(std::abs(c.change) < 0.02);
}

TEST_CASE("a change smaller than the threshold is not slower, even when significant") {
    auto c = compare(rounds_of(100, 0.01, 1), rounds_of(103, 0.01, 5), 0.05, {});
    CHECK(c.p_value < 0.01);
    CHECK(c.verdict == Verdict::unchanged);
}

TEST_CASE("an allowance raises the threshold: +12 % with 15 % allowed is not slower") {
    auto a = rounds_of(100, 0.01, 1);
    auto b = rounds_of(112, 0.01, 5);
    CHECK(compare(a, b, 0.05, {}).verdict == Verdict::slower);
    CHECK(compare(a, b, 0.15, {}).verdict != Verdict::slower);
}

TEST_CASE("one round that went the other way makes it too noisy, not slower") {
    std::vector<Round> base = rounds_of(100, 0.02, 1);
    std::vector<Round> cand = {round_of(130, 0.02, 20, 3), round_of(130, 0.02, 20, 4),
                               round_of(95, 0.02, 20, 5)};
    auto c = compare(base, cand, 0.05, {});
    CHECK(c.verdict == Verdict::too_noisy);
    CHECK(c.rounds_agreeing == 2);
    CHECK(c.reason == "1 of 3 rounds moved the other way");
}

TEST_CASE("wide samples whose interval reaches past the threshold are too noisy") {
    auto c = compare(rounds_of(100, 1.0, 1), rounds_of(104, 1.0, 21), 0.05, {});
    CHECK(c.verdict == Verdict::too_noisy);
    CHECK(c.reason.find("interval") != std::string::npos);
}

TEST_CASE("too few samples are too noisy, and verdicts have names") {
    CHECK(compare({{1.0}}, {{2.0}}, 0.05, {}).reason == "too few samples");
    CHECK(std::string(verdict_name(Verdict::too_noisy)) == "too noisy");
    CHECK(median({3, 1, 2}) == 2);
    CHECK(median({4, 1, 2, 3}) == 2.5);
    CHECK(median({}) == 0);
}
