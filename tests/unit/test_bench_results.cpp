#include "rcd/bench/results.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace rcd;
using namespace rcd::bench;

namespace {

Round spread(double center, int n = 20) {
    Round out;
    for (int i = 0; i < n; ++i)
        out.push_back(center * (1 + 0.002 * (i - (n - 1) / 2.0)));
    return out;
}

Results sample_results() {
    Results r;
    r.name = "svc";
    r.commit = "0123456789abcdef0123456789abcdef01234567";
    r.commit_time = 1700000000;
    r.baseline = "fedcba9876543210fedcba9876543210fedcba98";
    r.baseline_source = "latest";
    r.rounds = 3;
    Measurements before{{"checksum", {spread(100), spread(100), spread(100)}},
                        {"route", {spread(10), spread(10), spread(10)}}};
    Measurements after{{"checksum", {spread(200), spread(200), spread(200)}},
                       {"route", {spread(10), spread(10), spread(10)}},
                       {"new_one", {spread(5), spread(5), spread(5)}}};
    r.benchmarks = judge(before, after, r.settings, {});
    return r;
}
} // namespace

TEST_CASE("criterion's sample file gives the time of one iteration per sample") {
    auto round = parse_sample(
        R"({"sampling_mode":"Linear","iters":[10.0,20.0],"times":[100.0,300.0]})", "sample.json");
    REQUIRE(round);
    CHECK(*round == Round{10, 15});
}

TEST_CASE("a broken sample file is an error naming it") {
    for (const char* text : {"not json", R"({"iters":[1]})", R"({"iters":[1,2],"times":[1]})",
                             R"({"iters":[0],"times":[1]})", R"({"iters":["x"],"times":[1]})"}) {
        auto round = parse_sample(text, "/t/new/sample.json");
        REQUIRE_FALSE(round);
        CHECK(round.error().message.starts_with("/t/new/sample.json: "));
    }
}

TEST_CASE("read_criterion finds every benchmark's new/ directory by its full id") {
    auto dir = std::filesystem::temp_directory_path() / ("rcd-crit-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    auto write = [](const std::filesystem::path& path, const std::string& text) {
        std::filesystem::create_directories(path.parent_path());
        std::ofstream(path) << text;
    };
    write(dir / "group/fast/new/benchmark.json", R"({"full_id":"group/fast"})");
    write(dir / "group/fast/new/sample.json", R"({"iters":[2.0],"times":[8.0]})");
    write(dir / "group/fast/base/benchmark.json", R"({"full_id":"group/fast"})"); // not new/
    write(dir / "route/new/benchmark.json", R"({"full_id":"route"})");
    write(dir / "route/new/sample.json", R"({"iters":[1.0],"times":[3.0]})");
    auto found = read_criterion(dir);
    REQUIRE(found);
    CHECK(found->size() == 2);
    CHECK(found->at("group/fast") == Round{4});
    CHECK(found->at("route") == Round{3});
    write(dir / "bad/new/benchmark.json", R"({"id":"x"})");
    write(dir / "bad/new/sample.json", R"({"iters":[1.0],"times":[3.0]})");
    CHECK_FALSE(read_criterion(dir));
    CHECK(read_criterion(dir / "missing")->empty());
    std::filesystem::remove_all(dir);
}

TEST_CASE("judge compares what both sides measured, and a new benchmark has no verdict") {
    auto r = sample_results();
    REQUIRE(r.benchmarks.size() == 3);
    CHECK(r.benchmarks[0].id == "checksum");
    CHECK(r.benchmarks[0].comparison->verdict == Verdict::slower);
    CHECK(r.benchmarks[1].id == "new_one");
    CHECK_FALSE(r.benchmarks[1].comparison);
    CHECK(r.benchmarks[2].comparison->verdict == Verdict::unchanged);
    CHECK(r.count(Verdict::slower) == 1);
    CHECK(r.failed());
    r.fail_on = "never";
    CHECK_FALSE(r.failed());
}

TEST_CASE("an allowance applies to its benchmark only") {
    Measurements before{{"a", {spread(100), spread(100), spread(100)}},
                        {"b", {spread(100), spread(100), spread(100)}}};
    Measurements after{{"a", {spread(110), spread(110), spread(110)}},
                       {"b", {spread(110), spread(110), spread(110)}}};
    auto judged = judge(before, after, {}, {{"a", 0.2}});
    CHECK(judged[0].comparison->verdict == Verdict::unchanged);
    CHECK(judged[0].comparison->threshold == 0.2);
    CHECK(judged[1].comparison->verdict == Verdict::slower);
}

TEST_CASE("the document round-trips through JSON") {
    auto r = sample_results();
    auto doc = to_json(r);
    CHECK(doc["schema"] == "rcd.bench.v1");
    CHECK(doc["slower"] == 1);
    CHECK(doc["failed"] == true);
    CHECK(doc["benchmarks"][1]["verdict"] == "new");
    auto back = results_from_json(doc);
    REQUIRE(back);
    CHECK(back->commit == r.commit);
    CHECK(back->baseline == r.baseline);
    REQUIRE(back->benchmarks.size() == 3);
    CHECK(back->benchmarks[0].comparison->verdict == Verdict::slower);
    CHECK(back->benchmarks[0].comparison->change == Approx(r.benchmarks[0].comparison->change));
    CHECK(to_json(*back) == doc);
    CHECK_FALSE(results_from_json(nlohmann::json{{"schema", "other"}}));
    CHECK_FALSE(results_from_json(nlohmann::json{{"schema", "rcd.bench.v1"}}));
}

TEST_CASE("times are printed in the unit that fits") {
    CHECK(format_time(13.05) == "13.1 ns");
    CHECK(format_time(5090) == "5.09 µs");
    CHECK(format_time(1.2e6) == "1.20 ms");
    CHECK(format_time(2.5e9) == "2.50 s");
    CHECK(format_time(512) == "512 ns");
}

TEST_CASE("a sparkline scales between the smallest and the largest value") {
    CHECK(sparkline({1, 2, 3, 4, 5, 6, 7, 8}) == "▁▂▃▄▅▆▇█");
    CHECK(sparkline({5, 5}) == "▄▄");
    CHECK(sparkline({1, 0, 2}) == "▁ █");
    CHECK(sparkline({}).empty());
}

TEST_CASE("the terminal table, the markdown and the findings") {
    auto r = sample_results();
    auto text = text_table(r);
    CHECK(text.starts_with("benchmark  baseline"));
    CHECK(text.find("checksum   100 ns    200 ns     +100.0 %") != std::string::npos);
    CHECK(text.find("new_one    -         5.00 ns    -") != std::string::npos);

    auto md = markdown(r, {});
    CHECK(md.find("Against fedcba98 (latest), 3 interleaved rounds") != std::string::npos);
    CHECK(md.find("| checksum | 100 ns | 200 ns | +100.0 % |") != std::string::npos);
    CHECK(md.find("**slower**") != std::string::npos);
    CHECK(md.find("releases") == std::string::npos);

    auto earlier = r;
    earlier.commit = "1111111111111111111111111111111111111111";
    for (auto& b : earlier.benchmarks)
        b.median_ns /= 2;
    auto charted = markdown(r, {earlier});
    CHECK(charted.find("last 2 releases") != std::string::npos);
    CHECK(charted.find("▁█ |") != std::string::npos);

    auto found = findings(r);
    REQUIRE(found.size() == 2);
    CHECK(found[0].level == "error");
    CHECK(found[0].text.starts_with("checksum is +100.0 % slower (100 ns -> 200 ns; 99 % "));
    CHECK(found[1].level == "notice");
    CHECK(found[1].text.starts_with("route: unchanged +0.0 % (10.0 ns -> 10.0 ns; 99 % "));
    r.fail_on = "never";
    CHECK(findings(r)[0].level == "warning");
}

TEST_CASE("the history table: oldest first, the last N, a dash where a benchmark was missing") {
    auto newer = sample_results();
    auto older = newer;
    older.commit = "aaaaaaaa00000000000000000000000000000000";
    older.commit_time -= 100;
    older.benchmarks.erase(older.benchmarks.begin() + 1); // no new_one yet
    auto oldest = older;
    oldest.commit = "bbbbbbbb00000000000000000000000000000000";
    oldest.commit_time -= 100;
    auto table = history_table({newer, oldest, older}, 2);
    CHECK(table.find("bbbbbbbb") == std::string::npos);
    CHECK(table.starts_with("benchmark  aaaaaaaa  01234567  trend\n"));
    CHECK(table.find("new_one    -         5.00 ns") != std::string::npos);
}
