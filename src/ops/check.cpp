// rcd check and rcd build: the stages through a phase, with the dependency cache.
#include "rcd/ops/commands.hpp"

#include "rcd/ops/bench.hpp"
#include "session.hpp"

#include <fmt/format.h>

namespace rcd::ops {

Result<int> check(const std::string& command, const Invocation& invocation,
                  const StageOptions& stages) {
    RCD_ASSIGN(auto project, open_project(invocation));
    begin_result(project, command);
    auto settings = run_settings(command, invocation, stages);
    RCD_CHECK(check_selection(project, settings.selection));

    auto reporter = make_reporter(invocation, &project);
    Console console(invocation, reporter);
    reporter.note(fmt::format("rcd {}: {} ({} pipeline, {})", command, project.config.name,
                              project.pipeline.language, project.pipeline.origin));
    PublishOptions registry_options;
    registry_options.push = false;
    registry_options.connection.max_attempts = 2;
    console.attach(registry_options);
    RCD_CHECK(prepare_bench(project, settings, stages.bench_baseline, registry_options));
    auto planner = open_run_cache(project, settings, registry_options, stages);
    settings.cache = planner.get();
    RCD_ASSIGN(auto report, run_pipeline(project, settings, reporter));
    finish_bench(project, registry_options, report);
    if (auto written = write_result(project, report); !written) {
        reporter.error(written.error());
        report.exit_code = static_cast<int>(written.error().code);
    }
    write_run_extras(invocation, stages, project, report);
    if (invocation.json)
        print_json(report::to_json(report));
    reporter.summary(report);
    if (report.error)
        reporter.error(*report.error);
    return report.exit_code;
}

} // namespace rcd::ops
