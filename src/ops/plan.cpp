// rcd plan: the stages a release would run, the cache it would restore, the image it would push.
#include "rcd/ops/cache.hpp"
#include "rcd/ops/commands.hpp"
#include "rcd/report/documents.hpp"
#include "session.hpp"

#include <iostream>

namespace rcd::ops {

Result<int> plan(const Invocation& invocation, const StageOptions& stages,
                 const ReleaseOptions& release_options) {
    RCD_ASSIGN(auto project, open_project(invocation));
    auto settings = run_settings("release", invocation, stages);
    RCD_ASSIGN(auto jobs,
               plan_jobs(project, settings.selection, conditions_of(project), settings.stage_env));

    PublishOptions options = release_options.publish;
    options.push = true;
    options.checks_passed = stages.whole_pipeline();
    options.connection.max_attempts = 2;
    report::Plan plan;
    plan.run = new_report(project, "plan");
    plan.language = project.pipeline.language;
    plan.origin = project.pipeline.origin;
    plan.repository = image_repository(project, options);
    plan.base = project.config.image.base;
    if (project.config.image.sbom)
        plan.attachments.push_back("sbom");
    if (project.config.image.provenance)
        plan.attachments.push_back("provenance");
    if (project.repo)
        plan.tags = release_tags(*project.repo, options);
    for (const auto& job : jobs)
        plan.stages.push_back({job.name, job.command.argv, job.needs, job.skip_reason});

    auto reporter = make_reporter(invocation);
    Console console(invocation, reporter);
    console.attach(options);
    if (auto planner = open_run_cache(project, settings, options, stages)) {
        planner->look();
        plan.run.cache = cache_summary(*planner);
    }
    console.clear();
    if (invocation.json)
        print_json(report::plan_json(plan));
    else
        std::cout << report::plan_text(plan);
    return 0;
}

} // namespace rcd::ops
