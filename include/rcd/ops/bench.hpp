// The bench stage as the commands that run it see it: which commit it compares against, what
// it hands its child (`rcd bench run`), and its results read back for the run's report.
#pragma once

#include "rcd/bench/results.hpp"
#include "rcd/ops/project.hpp"
#include "rcd/ops/publish.hpp"
#include "rcd/ops/run.hpp"

#include <optional>
#include <string>
#include <vector>

namespace rcd::ops {

// The stage's child learns from its environment which commit to compare against ("<sha>
// <source>", or "- <why there is none>") and that the run above it holds the target lock.
inline constexpr const char* kBenchBaselineEnv = "RCD_BENCH_BASELINE";
inline constexpr const char* kLockHeldEnv = "RCD_TARGET_LOCK_HELD";

struct BenchBaseline {
    std::optional<std::string> commit;
    std::string source; // "latest", "--bench-baseline", or why there is none
};

// `revision` (--bench-baseline) when given; else the commit that `latest` names in the image's
// repository (its revision label); else none, and why. A revision that names no commit is an
// error; a registry that cannot be asked is not.
Result<BenchBaseline> find_bench_baseline(const Project& project, const std::string& revision,
                                          const PublishOptions& options);

// Whether the run's stages include a bench stage that will run (one with `when: has_benches`).
bool bench_selected(const Project& project, const Selection& selection);

// Before a run with the bench stage: its baseline and the lock, in the stages' environment;
// an earlier run's results removed.
Status prepare_bench(const Project& project, RunSettings& settings, const std::string& revision,
                     const PublishOptions& options);

// After the run: the results the bench stage wrote for this commit, if it ran.
std::optional<bench::Results> read_bench_results(const Project& project);

// After the run: the bench stage's results in the report, and under GitHub Actions (for the
// step summary's chart) the earlier releases' results when the registry has them.
void finish_bench(const Project& project, const PublishOptions& options, report::RunReport& report);

// The bench documents of earlier releases (tags bench-<commit>), newest `last` by commit time.
Result<std::vector<bench::Results>> bench_history(const Project& project,
                                                  const PublishOptions& options, std::size_t last);

// The document a release attaches to its image, tagged bench-<commit>.
image::Artifact bench_artifact(const bench::Results& results);

} // namespace rcd::ops
