#include "rcd/ops/cache.hpp"

#include "rcd/cache/registry_store.hpp"
#include "rcd/registry/reference.hpp"
#include "rcd/util/log.hpp"

#include <cstdlib>
#include <fmt/format.h>
#include <set>

namespace rcd::ops {

Result<std::vector<cache::ProfileRequest>>
cache_requests(const Project& project, const Selection& selection,
               const std::map<std::string, std::string>& stage_env) {
    const auto conditions = conditions_of(project);
    // The profile each job that runs names, by stage.
    auto profiles_of = [&](const Selection& chosen) -> Result<std::map<std::string, std::string>> {
        RCD_ASSIGN(auto jobs, plan_jobs(project, chosen, conditions, stage_env));
        std::map<std::string, std::string> out;
        for (const auto& job : jobs)
            if (const auto* stage = project.pipeline.find(job.name); stage && !job.skip_reason)
                if (auto profile = stage->cache_profile())
                    out[job.name] = *profile;
        return out;
    };
    RCD_ASSIGN(auto selected, profiles_of(selection));
    std::set<std::string> named;
    for (const auto& [stage, profile] : selected)
        named.insert(profile);
    Selection everything = selection;
    everything.through = pipeline::Phase::build;
    everything.only.clear();
    everything.skip.clear();
    RCD_ASSIGN(auto jobs, plan_jobs(project, everything, conditions, stage_env));
    std::vector<cache::ProfileRequest> requests;
    for (const auto& job : jobs) {
        if (job.skip_reason)
            continue;
        if (const auto* stage = project.pipeline.find(job.name))
            if (auto profile = stage->cache_profile(); profile && named.contains(*profile))
                requests.push_back(
                    {*profile, job.command.argv, job.command.env, selected.contains(job.name)});
    }
    return requests;
}

Result<std::unique_ptr<cache::Planner>>
open_cache(const Project& project, const Selection& selection,
           const std::map<std::string, std::string>& stage_env, const PublishOptions& options) {
    using Opened = std::unique_ptr<cache::Planner>;
    RCD_ASSIGN(auto requests, cache_requests(project, selection, stage_env));
    if (requests.empty())
        return Opened{};
    RCD_ASSIGN(auto planner, project.language->open_cache(
                                 requests, cache::LocalStore(cache::LocalStore::default_root())));
    if (!planner)
        return Opened{};
    planner->set_progress(options.progress);
    bool needs_registry = false;
    for (const auto& profile : planner->profiles())
        needs_registry = needs_registry || !profile.key.empty();
    if (needs_registry && configured_registry(project, options)) {
        auto connected = [&]() -> Result<std::unique_ptr<cache::Store>> {
            RCD_ASSIGN(auto repository, cache_repository(project, options));
            RCD_ASSIGN(auto ref, registry::parse_reference(repository, false));
            RCD_ASSIGN(auto client, connect_registry(ref.registry, options));
            return std::make_unique<cache::RegistryStore>(client, ref.repository, planner->local());
        }();
        if (connected)
            planner->add_store(std::move(*connected));
        else
            log::info("cache: the registry cache is not used: {}", connected.error().message);
    }
    return planner;
}

Result<std::string> cache_repository(const Project& project, const PublishOptions& options) {
    RCD_ASSIGN(auto image, image_repository(project, options));
    std::optional<std::string> chosen = project.config.cache.repository;
    if (const char* env = std::getenv("RCD_CACHE_REPOSITORY"); env && *env)
        chosen = env;
    if (!chosen)
        return image + "-cache";
    std::string text = *chosen;
    while (text.ends_with('/'))
        text.pop_back();
    if (!registry::starts_with_registry(text)) {
        RCD_ASSIGN(auto image_ref, registry::parse_reference(image, false));
        text = image_ref.registry + "/" + text;
    }
    RCD_ASSIGN(auto ref, registry::parse_reference(text, false));
    if (ref.tag || ref.digest)
        return fail(ExitCode::usage,
                    fmt::format("cache.repository '{}' names a tag or digest", *chosen),
                    "give a repository, like registry.example.com/team/hello-api-cache");
    return ref.name();
}

report::CacheSummary cache_summary(const cache::Planner& planner) {
    report::CacheSummary summary;
    summary.recipe = planner.recipe_hash();
    summary.status = cache::status_name(planner.status());
    for (const auto& p : planner.profiles()) {
        summary.restore_ms += p.restore_ms;
        summary.save_ms += p.save_ms;
        summary.profiles.push_back(
            {p.profile, p.key, cache::status_name(p.status), p.bytes, p.detail});
    }
    return summary;
}

} // namespace rcd::ops
