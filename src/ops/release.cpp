// rcd release: fail fast on the registry, run the stages, ship the image, push the cache.
#include "rcd/ops/commands.hpp"

#include "rcd/ops/bench.hpp"
#include "rcd/util/duration.hpp"
#include "session.hpp"

#include <chrono>
#include <fmt/format.h>

namespace rcd::ops {

Result<int> release(const Invocation& invocation, const StageOptions& stages,
                    const ReleaseOptions& release_options) {
    const std::string command = "release";
    RCD_CHECK(validate_tags(release_options.publish.extra_tags));
    RCD_ASSIGN(auto project, open_project(invocation));
    begin_result(project, command);
    PublishOptions options = release_options.publish;
    options.checks_passed = stages.whole_pipeline();
    options.push = true;
    auto settings = run_settings(command, invocation, stages);
    RCD_CHECK(check_selection(project, settings.selection));
    RCD_CHECK(check_clean(project, options));

    auto reporter = make_reporter(invocation, &project);
    Console console(invocation, reporter);
    console.attach(options);
    // Fail in seconds, not after the build: the registry answers and takes pushes.
    RCD_CHECK(check_registry_access(project, options));
    reporter.note(fmt::format("rcd release: {} ({} pipeline, {})", project.config.name,
                              project.pipeline.language, project.pipeline.origin));
    RCD_CHECK(prepare_bench(project, settings, stages.bench_baseline, options));
    auto planner = open_run_cache(project, settings, options, stages);
    settings.cache = planner.get();
    RCD_ASSIGN(auto report, run_pipeline(project, settings, reporter));
    finish_bench(project, options, report);
    if (report.ok()) {
        auto started = std::chrono::steady_clock::now();
        auto image = ship_image(project, options, reporter, report);
        if (image) {
            report.image = *image;
        } else {
            report.exit_code = static_cast<int>(image.error().code);
            report.error = image.error();
        }
        // After the image: a cache that cannot be pushed is a warning, not a failed release.
        if (image && planner && !release_options.no_cache_push && !options.dry_run) {
            if (auto pushed = planner->push(); pushed && report.cache)
                report.cache->pushed = *pushed > 0;
            else if (!pushed)
                log::warn("the dependency cache was not pushed: {} ({})", pushed.error().message,
                          pushed.error().hint);
        }
        report.duration_ms += util::elapsed_ms(started);
    }
    if (auto written = write_result(project, report); !written)
        reporter.error(written.error());
    write_run_extras(invocation, stages, project, report);
    if (report.image)
        write_image_refs(invocation, release_options, *report.image);
    if (invocation.json)
        print_json(report::to_json(report));
    reporter.summary(report);
    if (report.image)
        show_image(reporter, *report.image);
    if (report.error)
        reporter.error(*report.error);
    return report.exit_code;
}

} // namespace rcd::ops
