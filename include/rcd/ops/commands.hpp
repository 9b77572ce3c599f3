// One operation per command, each its whole sequence. A command that ran returns its exit
// code (a failed stage is a run with exit 1); one that could not start returns the Error, which
// cli prints and maps to its exit code.
#pragma once

#include "rcd/ops/options.hpp"

#include <string>

namespace rcd::ops {

// rcd check, rcd build: the stages through `command`'s phase.
Result<int> check(const std::string& command, const Invocation& invocation,
                  const StageOptions& stages);
// rcd release: the stages, then the image, then the dependency cache.
Result<int> release(const Invocation& invocation, const StageOptions& stages,
                    const ReleaseOptions& options);
// rcd image: the image of the last build, written (--output) or pushed (--push).
Result<int> image(const Invocation& invocation, const ReleaseOptions& options);
// rcd plan: what a release would run and push, without running it.
Result<int> plan(const Invocation& invocation, const StageOptions& stages,
                 const ReleaseOptions& options);
// rcd cache status|pull|push|prune.
Result<int> cache(const Invocation& invocation, const CacheOptions& cache_options,
                  const ReleaseOptions& options);
// rcd init [--registry R].
Result<int> init(const Invocation& invocation, const std::string& registry);
// rcd doctor: exit code of the first failed check.
Result<int> doctor(const Invocation& invocation, const ReleaseOptions& options);
// rcd resolve FILE... [--check]: deploy files with the image pinned to this commit's release.
Result<int> resolve(const Invocation& invocation, const ResolveOptions& resolve_options,
                    const PublishOptions& options);
// rcd fleet ACTION [-j N] (--list FILE | DIR...): release, check, build or plan in each
// repository; matrix --format github|gitlab; summary FILES...
Result<int> fleet(const Invocation& invocation, const FleetOptions& options);
// rcd sbom [--format spdx|cyclonedx]: the SBOM of the binary, printed.
Result<int> sbom(const Invocation& invocation, const std::string& format);
// rcd bench run [--baseline REV]: the bench stage's command; rcd bench history [--last N].
Result<int> bench(const Invocation& invocation, const BenchOptions& bench_options,
                  const PublishOptions& options);
// rcd pipelines [show NAME].
Result<int> pipelines(const Invocation& invocation, const std::string& show);

} // namespace rcd::ops
