// The dependency cache of one run: the profiles its stages cook, and where the cache is shared
// (the cache repository, when a registry is configured).
#pragma once

#include "rcd/cache/planner.hpp"
#include "rcd/ops/publish.hpp"
#include "rcd/ops/stages.hpp"
#include "rcd/report/run_report.hpp"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rcd::ops {

// The profiles that the selected stages, not skipped, name with `cook:` (or `cache:`), in run
// order; and, marked not `selected`, every other stage of the pipeline that names one of those
// profiles and is not off in this repository (`skip: true`, a `when:` that does not hold), so a
// cooked profile's key does not depend on --only, --skip or the phase.
Result<std::vector<cache::ProfileRequest>>
cache_requests(const Project& project, const Selection& selection,
               const std::map<std::string, std::string>& stage_env);

// The run's planner, using the registry when one is configured: a registry that cannot be
// reached is a note, and the run goes on with the local cache. Transfers report to the options'
// `progress`. Nothing without a stage that cooks or caches, or when the language has nothing
// to cache.
Result<std::unique_ptr<cache::Planner>>
open_cache(const Project& project, const Selection& selection,
           const std::map<std::string, std::string>& stage_env, const PublishOptions& options);

report::CacheSummary cache_summary(const cache::Planner& planner);

// Where the dependency cache lives in the registry: RCD_CACHE_REPOSITORY, else rcd.yaml's
// `cache.repository`, else the image's repository plus "-cache", so that the image's own
// repository holds only images. A name without a registry host is on the image's registry.
Result<std::string> cache_repository(const Project& project, const PublishOptions& options);

} // namespace rcd::ops
