#include "commands.hpp"

#include "rcd/git/repository.hpp"
#include "rcd/pipeline/catalog.hpp"
#include "rcd/pipeline/loader.hpp"
#include "rcd/registry/reference.hpp"
#include "rcd/release/publish.hpp"
#include "rcd/release/run.hpp"
#include "rcd/util/duration.hpp"
#include "rcd/util/strings.hpp"
#include "version.hpp"

#include <chrono>
#include <cstdlib>
#include <fmt/format.h>
#include <iostream>
#include <unistd.h>

namespace rcd::cli {

bool GlobalOptions::ci() const {
    if (no_ci_flag)
        return false;
    if (ci_flag)
        return true;
    const char* ci = std::getenv("CI");
    return ci && (std::string_view(ci) == "true" || std::string_view(ci) == "1");
}

report::Verbosity GlobalOptions::verbosity() const {
    if (quiet)
        return report::Verbosity::quiet;
    return verbose ? report::Verbosity::verbose : report::Verbosity::normal;
}

namespace {

release::ProjectOptions project_options(const GlobalOptions& global) {
    release::ProjectOptions options;
    options.dir = global.dir;
    if (!global.config_file.empty())
        options.config_file = global.config_file;
    if (!global.pipelines_dir.empty())
        options.pipelines_dir = global.pipelines_dir;
    return options;
}

report::TerminalReporter make_reporter(const GlobalOptions& global) {
    report::TerminalStyle style;
    style.verbosity = global.verbosity();
    style.color = report::use_color(global.color, global.ci(), STDERR_FILENO);
    return report::TerminalReporter(style);
}

// The stage run of check, build and release: phases, selection, and cargo's colour.
release::RunSettings run_settings(const std::string& command, const GlobalOptions& global,
                                  const StageOptions& stages) {
    release::RunSettings settings;
    settings.command = command;
    settings.selection.through =
        command == "check" ? pipeline::Phase::check : pipeline::Phase::build;
    settings.selection.only = stages.only;
    settings.selection.skip = stages.skip;
    settings.jobs = stages.jobs;
    settings.keep_going = stages.keep_going;
    settings.wait_for_lock = !stages.no_wait;
    if (!std::getenv("CARGO_TERM_COLOR"))
        settings.stage_env["CARGO_TERM_COLOR"] =
            report::use_color(global.color, global.ci(), STDERR_FILENO) ? "always" : "never";
    return settings;
}

// What publishing shows: a live transfer line on a terminal (never in CI or with -q), cleared
// before each note so the two never mix.
class PublishDisplay {
  public:
    PublishDisplay(const GlobalOptions& global, report::TerminalReporter& reporter)
        : reporter_(reporter),
          transfers_(!global.quiet && !global.ci() && ::isatty(STDERR_FILENO)) {}

    void attach(release::PublishOptions& options) {
        options.progress = [this](const std::string& what, std::int64_t done, std::int64_t total) {
            transfers_.update(what, done, total);
        };
    }
    release::Notify notify() {
        return [this](const std::string& message) {
            transfers_.clear();
            reporter_.note(message);
        };
    }
    void clear() { transfers_.clear(); }

  private:
    report::TerminalReporter& reporter_;
    report::TransferLine transfers_;
};

void print_json(const nlohmann::json& doc) {
    std::cout << doc.dump(2) << std::endl;
}

release::PublishOptions publish_options(const ReleaseOptions& r, const StageOptions* stages) {
    release::PublishOptions o;
    if (!r.registry.empty())
        o.registry = r.registry;
    o.extra_tags = r.tags;
    o.no_latest = r.no_latest;
    o.allow_dirty = r.allow_dirty;
    o.force = r.force;
    o.dry_run = r.dry_run;
    o.insecure = r.insecure;
    o.ca_file = r.ca_file;
    o.compression = r.compression == "zstd" ? image::Compression::zstd : image::Compression::gzip;
    o.outputs = r.outputs;
    // `latest` moves only when every check stage ran and passed.
    o.checks_passed = !stages || (stages->only.empty() && stages->skip.empty());
    return o;
}

Status validate_tags(const std::vector<std::string>& tags) {
    for (const auto& tag : tags)
        if (!registry::valid_tag(tag))
            return fail(ExitCode::usage, fmt::format("--tag: '{}' is not a valid tag", tag),
                        "a tag is up to 128 letters, digits, '_', '.' and '-', not starting "
                        "with '.' or '-'");
    return {};
}

// The final lines of a release or image run: where the image went.
void show_image(report::TerminalReporter& reporter, const report::ImageSummary& image) {
    for (const auto& output : image.outputs)
        reporter.note(fmt::format("rcd: wrote {}", output));
    if (!image.pushed)
        return;
    reporter.note(fmt::format("rcd: pushed {}", image.reference));
    reporter.note(fmt::format("     tags: {} ({} blobs pushed, {} already there, {} bytes)",
                              util::join(image.tags, ", "), image.blobs_pushed, image.blobs_skipped,
                              image.bytes_uploaded));
}

} // namespace

int report_error(const GlobalOptions& global, const std::string& command, const Error& error) {
    if (global.json) {
        report::RunReport report;
        report.command = command;
        report.exit_code = static_cast<int>(error.code);
        report.error = error;
        print_json(report::to_json(report));
    }
    make_reporter(global).error(error);
    return static_cast<int>(error.code);
}

int run_stages_command(const std::string& command, const GlobalOptions& global,
                       const StageOptions& stages) {
    auto project = release::load_project(project_options(global));
    if (!project)
        return report_error(global, command, project.error());

    auto settings = run_settings(command, global, stages);
    auto reporter = make_reporter(global);

    reporter.note(fmt::format("rcd {}: {} ({} pipeline, {})", command, project->config.name,
                              project->pipeline.language, project->pipeline.origin));
    auto report = release::run_pipeline(*project, settings, reporter,
                                        [&](const std::string& m) { reporter.note(m); });
    if (!report)
        return report_error(global, command, report.error());
    if (auto written = release::write_result(*project, *report); !written) {
        reporter.error(written.error());
        report->exit_code = static_cast<int>(written.error().code);
    }
    if (global.json)
        print_json(report::to_json(*report));
    reporter.summary(*report);
    if (report->error)
        reporter.error(*report->error);
    return report->exit_code;
}

int plan_command(const GlobalOptions& global, const StageOptions& stages,
                 const ReleaseOptions& release) {
    auto project = release::load_project(project_options(global));
    if (!project)
        return report_error(global, "plan", project.error());
    release::Selection selection;
    selection.through = pipeline::Phase::build;
    selection.only = stages.only;
    selection.skip = stages.skip;
    auto jobs = release::plan_jobs(*project, selection, release::conditions_of(*project), {});
    if (!jobs)
        return report_error(global, "plan", jobs.error());

    auto options = publish_options(release, &stages);
    auto repository = release::image_repository(*project, options);
    std::vector<std::string> tags;
    if (project->repo)
        tags = release::release_tags(*project->repo, options);

    if (global.json) {
        report::RunReport report;
        report.command = "plan";
        report.repo = release::repo_summary(*project);
        auto doc = report::to_json(report);
        doc["plan"]["image"] = nlohmann::json{
            {"repository", repository ? nlohmann::json(*repository) : nlohmann::json(nullptr)},
            {"tags", tags},
            {"base", project->config.image.base}};
        doc["plan"]["stages"] = nlohmann::json::array();
        for (const auto& job : *jobs)
            doc["plan"]["stages"].push_back(
                {{"name", job.name},
                 {"run", job.command.argv},
                 {"needs", job.needs},
                 {"status", job.skip_reason ? "skip" : "run"},
                 {"reason", job.skip_reason ? nlohmann::json(*job.skip_reason) : nullptr}});
        print_json(doc);
        return 0;
    }
    std::cout << fmt::format("{} ({} pipeline, {}) in {}\n", project->config.name,
                             project->pipeline.language, project->pipeline.origin,
                             project->dir.string());
    if (project->repo)
        std::cout << fmt::format("commit {}{}\n", project->repo->commit,
                                 project->repo->dirty() ? " (dirty)" : "");
    std::size_t width = 0;
    for (const auto& job : *jobs)
        width = std::max(width, job.name.size());
    std::size_t n = 0;
    for (const auto& job : *jobs) {
        std::string what =
            job.skip_reason ? "skip: " + *job.skip_reason : util::shell_join(job.command.argv);
        std::string needs =
            job.needs.empty() ? "" : fmt::format("   (after {})", util::join(job.needs, ", "));
        std::cout << fmt::format("  {}. {:<{}}  {}{}\n", ++n, job.name, width, what, needs);
    }
    if (repository)
        std::cout << fmt::format("image {} (base {})\n  tags: {}\n", *repository,
                                 project->config.image.base,
                                 tags.empty() ? "(no commit)" : util::join(tags, ", "));
    else
        std::cout << fmt::format("image: {}\n", repository.error().message);
    return 0;
}

int release_command(const GlobalOptions& global, const StageOptions& stages,
                    const ReleaseOptions& release) {
    const std::string command = "release";
    if (auto tags = validate_tags(release.tags); !tags)
        return report_error(global, command, tags.error());
    auto project = release::load_project(project_options(global));
    if (!project)
        return report_error(global, command, project.error());
    auto options = publish_options(release, &stages);
    options.push = true;
    if (auto clean = release::check_clean(*project, options); !clean)
        return report_error(global, command, clean.error());
    if (auto repository = release::image_repository(*project, options); !repository)
        return report_error(global, command, repository.error());

    auto settings = run_settings(command, global, stages);
    auto reporter = make_reporter(global);
    PublishDisplay display(global, reporter);
    display.attach(options);
    auto notify = display.notify();
    reporter.note(fmt::format("rcd release: {} ({} pipeline, {})", project->config.name,
                              project->pipeline.language, project->pipeline.origin));
    auto report = release::run_pipeline(*project, settings, reporter, notify);
    if (!report)
        return report_error(global, command, report.error());
    if (report->ok()) {
        auto started = std::chrono::steady_clock::now();
        auto image = release::publish(*project, options, notify);
        report->duration_ms += util::elapsed_ms(started);
        if (image) {
            report->image = *image;
        } else {
            report->exit_code = static_cast<int>(image.error().code);
            report->error = image.error();
        }
    }
    if (auto written = release::write_result(*project, *report); !written)
        reporter.error(written.error());
    if (global.json)
        print_json(report::to_json(*report));
    reporter.summary(*report);
    if (report->image)
        show_image(reporter, *report->image);
    if (report->error)
        reporter.error(*report->error);
    return report->exit_code;
}

int image_command(const GlobalOptions& global, const ReleaseOptions& release) {
    const std::string command = "image";
    if (!release.push && release.outputs.empty())
        return report_error(global, command,
                            Error{ExitCode::usage, "rcd image needs --push or --output",
                                  "for example: rcd image --output oci:./image"});
    if (auto tags = validate_tags(release.tags); !tags)
        return report_error(global, command, tags.error());
    auto project = release::load_project(project_options(global));
    if (!project)
        return report_error(global, command, project.error());
    auto options = publish_options(release, nullptr);
    options.push = release.push;
    if (auto clean = release::check_clean(*project, options); release.push && !clean)
        return report_error(global, command, clean.error());
    auto reporter = make_reporter(global);
    PublishDisplay display(global, reporter);
    display.attach(options);
    auto started = std::chrono::steady_clock::now();
    auto image = release::publish(*project, options, display.notify());
    display.clear();
    if (!image)
        return report_error(global, command, image.error());
    report::RunReport report;
    report.command = command;
    report.repo = release::repo_summary(*project);
    report.image = *image;
    report.duration_ms = util::elapsed_ms(started);
    if (auto written = release::write_result(*project, report); !written)
        reporter.error(written.error());
    if (global.json)
        print_json(report::to_json(report));
    show_image(reporter, *image);
    if (!image->pushed)
        reporter.note(fmt::format("rcd: image {}", image->reference));
    return 0;
}

int pipelines_command(const GlobalOptions& global, const std::string& show) {
    pipeline::Catalog catalog(global.dir,
                              global.pipelines_dir.empty()
                                  ? std::nullopt
                                  : std::optional<std::filesystem::path>(global.pipelines_dir));
    if (!show.empty()) {
        auto source = catalog.find(show);
        if (!source)
            return report_error(global, "pipelines", source.error());
        if (global.json)
            print_json({{"language", source->language},
                        {"origin", source->origin},
                        {"text", source->text}});
        else
            std::cout << source->text;
        return 0;
    }
    auto sources = catalog.list();
    if (global.json) {
        nlohmann::json doc = nlohmann::json::array();
        for (const auto& s : sources)
            doc.push_back({{"language", s.language}, {"origin", s.origin}});
        print_json(doc);
        return 0;
    }
    for (const auto& s : sources)
        std::cout << fmt::format("{:<12} {}\n", s.language, s.origin);
    return 0;
}

int version_command(const GlobalOptions& global) {
    auto libraries = library_versions();
    if (global.json) {
        nlohmann::json doc = {{"version", RCD_VERSION}, {"libraries", nlohmann::json::object()}};
        for (const auto& [name, version] : libraries)
            doc["libraries"][name] = version;
        print_json(doc);
        return 0;
    }
    std::cout << "rcd " << RCD_VERSION << "\n";
    for (const auto& [name, version] : libraries)
        std::cout << fmt::format("  {:<14} {}\n", name, version);
    return 0;
}

} // namespace rcd::cli
