// rcd image: the image of the last build, written to files or pushed.
#include "rcd/ops/commands.hpp"

#include "rcd/util/duration.hpp"
#include "session.hpp"

#include <chrono>
#include <fmt/format.h>

namespace rcd::ops {

Result<int> image(const Invocation& invocation, const ReleaseOptions& release_options) {
    const std::string command = "image";
    PublishOptions options = release_options.publish;
    if (!options.push && options.outputs.empty())
        return fail(ExitCode::usage, "rcd image needs --push or --output",
                    "for example: rcd image --output oci:target/rcd/image");
    RCD_CHECK(validate_tags(options.extra_tags));
    RCD_ASSIGN(auto project, open_project(invocation));
    // `latest` follows only a commit whose checks passed, as a release would have it.
    options.checks_passed = recorded_checks_passed(project);
    begin_result(project, command, options.checks_passed);
    if (auto clean = check_clean(project, options); options.push && !clean)
        return std::unexpected(clean.error());
    auto reporter = make_reporter(invocation);
    Console console(invocation, reporter);
    console.attach(options);
    if (options.push && !options.checks_passed && !options.no_latest && project.repo &&
        !project.repo->dirty())
        reporter.note(fmt::format(
            "rcd: 'latest' stays where it is: no run of every check stage of {} passed here "
            "(target/rcd/result.json); 'rcd release' or 'rcd build' first moves it",
            project.repo->commit.substr(0, 12)));
    auto started = std::chrono::steady_clock::now();
    report::RunReport report = new_report(project, command);
    report.checks_passed = options.checks_passed;
    RCD_ASSIGN(auto image, ship_image(project, options, reporter, report));
    console.clear();
    report.image = image;
    report.duration_ms = util::elapsed_ms(started);
    if (auto written = write_result(project, report); !written)
        reporter.error(written.error());
    write_image_refs(invocation, release_options, image);
    if (invocation.json)
        print_json(report::to_json(report));
    show_image(reporter, image);
    if (!image.in_registry())
        reporter.note(fmt::format("rcd: image {}", image.reference));
    return 0;
}

} // namespace rcd::ops
