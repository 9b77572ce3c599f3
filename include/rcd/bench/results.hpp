// A bench run's results: criterion's sample files read back, each benchmark judged against
// the baseline, the document a release stores next to its image (application/vnd.rcd.bench.v1
// +json), and the tables and charts people read. Pure, but for read_criterion.
#pragma once

#include "rcd/bench/compare.hpp"
#include "rcd/util/result.hpp"

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace rcd::bench {

inline constexpr const char* kMediaType = "application/vnd.rcd.bench.v1+json";
inline constexpr const char* kSchema = "rcd.bench.v1";

// The time of one iteration of each sample in criterion's sample.json ({"iters": [...],
// "times": [...]}, nanoseconds per sample). `where` names the file in errors.
Result<Round> parse_sample(const std::string& text, const std::string& where);

// Every benchmark criterion measured under `dir` (its CRITERION_HOME): each `new/` directory
// holding benchmark.json (its full_id) and sample.json. Keyed by the benchmark's id.
Result<std::map<std::string, Round>> read_criterion(const std::filesystem::path& dir);

struct Benchmark {
    std::string id;
    double median_ns = 0; // the candidate's, over every round
    int samples = 0;
    std::optional<Comparison> comparison; // none without a baseline, or for a new benchmark
};

struct Results {
    std::string name;
    std::string commit;
    long long commit_time = 0;           // seconds since the epoch: the order of a history
    std::optional<std::string> baseline; // the commit compared against
    std::string baseline_source;         // "latest", "--bench-baseline", or why there is none
    int rounds = 0;
    Settings settings;
    std::string fail_on = "slower"; // slower | never
    std::vector<Benchmark> benchmarks;

    int count(Verdict verdict) const;
    // A benchmark is slower and fail_on is "slower": the stage fails, `latest` stays.
    bool failed() const;
};

// What a bench run measured, per benchmark id: one Round per round.
using Measurements = std::map<std::string, std::vector<Round>>;

// Each candidate benchmark, compared against the baseline's of the same id when there is one;
// `allow` raises a benchmark's threshold above `settings.min_effect`.
std::vector<Benchmark> judge(const Measurements& baseline, const Measurements& candidate,
                             const Settings& settings, const std::map<std::string, double>& allow);

nlohmann::json to_json(const Results& results);
Result<Results> results_from_json(const nlohmann::json& doc);

// "13.1 ns", "5.09 µs", "1.20 ms", "2.50 s".
std::string format_time(double ns);

// "▁▃▅█": one block per value, scaled between the smallest and the largest.
std::string sparkline(const std::vector<double>& values);

// The terminal's table: benchmark, baseline, candidate, change, interval, p, verdict.
std::string text_table(const Results& results);

// The step summary's section: the table, and with `history` (earlier releases, oldest first)
// a sparkline of each benchmark's medians through them and this run.
std::string markdown(const Results& results, const std::vector<Results>& history);

// `rcd bench history`: one row per benchmark, one column per release (oldest first, at most
// `last`), the medians, and a sparkline.
std::string history_table(std::vector<Results> history, std::size_t last);

// One line per judged benchmark, for annotations, with its level: "error" (slower, when that
// fails the stage), "warning" (slower with fail_on: never, or too noisy), "notice" (the rest).
struct Finding {
    std::string level;
    std::string text;
};
std::vector<Finding> findings(const Results& results);

} // namespace rcd::bench
