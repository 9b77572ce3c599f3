#include "commands.hpp"

#include "rcd/cache/registry_store.hpp"
#include "rcd/exec/lock.hpp"
#include "rcd/git/repository.hpp"
#include "rcd/pipeline/catalog.hpp"
#include "rcd/pipeline/loader.hpp"
#include "rcd/registry/reference.hpp"
#include "rcd/release/cache.hpp"
#include "rcd/release/doctor.hpp"
#include "rcd/release/init.hpp"
#include "rcd/release/publish.hpp"
#include "rcd/release/run.hpp"
#include "rcd/release/smoke.hpp"
#include "rcd/report/junit.hpp"
#include "rcd/util/duration.hpp"
#include "rcd/util/fs.hpp"
#include "rcd/util/strings.hpp"
#include "version.hpp"

#include <chrono>
#include <cstdlib>
#include <fmt/format.h>
#include <fstream>
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

report::TerminalReporter make_reporter(const GlobalOptions& global,
                                       const release::Project* project = nullptr) {
    report::TerminalStyle style;
    style.verbosity = global.verbosity();
    style.color = report::use_color(global.color, global.ci(), STDERR_FILENO);
    style.ci = report::detect_ci_format(global.ci());
    style.spinner = !global.ci() && !global.quiet && ::isatty(STDERR_FILENO);
    // Annotations need cargo's JSON messages, and paths from the repository's root.
    style.cargo_json = style.ci == report::CiFormat::github;
    if (project && project->workspace && project->repo) {
        auto root = project->workspace->root.lexically_relative(project->repo->root);
        if (!root.empty() && root != ".")
            style.annotation_root = root.generic_string() + "/";
    }
    return report::TerminalReporter(style);
}

// The stage run of check, build and release: phases, selection, and the stages' colour.
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
    settings.selection.cargo_json =
        report::detect_ci_format(global.ci()) == report::CiFormat::github;
    // rcd's choice (--color, NO_COLOR, CI mode, a terminal) holds for cargo and rustc too.
    settings.stage_env["CARGO_TERM_COLOR"] =
        report::use_color(global.color, global.ci(), STDERR_FILENO) ? "always" : "never";
    return settings;
}

// What image and cache transfers show: a live transfer line on a terminal (never in CI or with
// -q), cleared before each note so the two never mix; decisions only with -v.
class TransferDisplay {
  public:
    TransferDisplay(const GlobalOptions& global, report::TerminalReporter& reporter)
        : reporter_(reporter),
          transfers_(!global.quiet && !global.ci() && ::isatty(STDERR_FILENO)) {}

    void attach(release::PublishOptions& options) {
        options.progress = [this](const std::string& what, std::int64_t done, std::int64_t total) {
            transfers_.update(what, done, total);
        };
        options.decisions = [this](const std::string& message) {
            transfers_.clear();
            reporter_.detail(message);
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

// One document on one line, so that runs append to a JSON Lines file.
void print_json(const nlohmann::json& doc) {
    std::cout << doc.dump() << std::endl;
}

std::string absolute_dir(const GlobalOptions& global) {
    std::error_code ec;
    return std::filesystem::absolute(global.dir, ec).lexically_normal().string();
}

release::PublishOptions publish_options(const ReleaseOptions& r, bool checks_passed) {
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
    o.checks_passed = checks_passed;
    return o;
}

// The run's dependency cache. A cache that cannot be opened is a note, never a failed run: the
// stages then build the dependencies themselves.
std::optional<cache::Planner> run_cache(const release::Project& project,
                                        const release::RunSettings& settings,
                                        const release::PublishOptions& options,
                                        const StageOptions& stages, const release::Notify& notify) {
    if (stages.no_cache)
        return std::nullopt;
    auto opened =
        release::open_cache(project, settings.selection, settings.stage_env, options, notify);
    if (!opened) {
        notify(fmt::format("cache: not used: {}", opened.error().message));
        return std::nullopt;
    }
    return std::move(*opened);
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
    if (image.already_released()) {
        reporter.note(fmt::format("rcd: already released: {}", image.reference));
        reporter.note(fmt::format("     tags: {} (nothing pushed)", util::join(image.tags, ", ")));
        return;
    }
    if (!image.pushed())
        return;
    reporter.note(fmt::format("rcd: pushed {}", image.reference));
    reporter.note(fmt::format("     tags: {} ({} blobs pushed, {} already there, {} bytes)",
                              util::join(image.tags, ", "), image.blobs_pushed, image.blobs_skipped,
                              image.bytes_uploaded));
}

// Where the next CI job finds the image: $GITHUB_OUTPUT under GitHub Actions, --dotenv (a
// GitLab dotenv report) and --image-refs (as ko writes it). Only for an image the registry
// holds; a problem is a warning, never a failed release.
void write_image_refs(const GlobalOptions& global, const ReleaseOptions& release,
                      const report::ImageSummary& image, report::TerminalReporter& reporter) {
    auto warn = [&](const std::string& what, const Status& written) {
        if (!written)
            reporter.note(fmt::format("warning: {}: {}", what, written.error().message));
    };
    if (!image.in_registry()) {
        if (!release.dotenv.empty() || !release.image_refs.empty())
            reporter.note("rcd: --dotenv and --image-refs not written: the image is not in the "
                          "registry");
        return;
    }
    const std::string tags = util::join(image.tags, ",");
    const char* output = std::getenv("GITHUB_OUTPUT");
    if (output && *output && report::detect_ci_format(global.ci()) == report::CiFormat::github) {
        std::ofstream out(output, std::ios::app);
        out << fmt::format("image={}\ndigest={}\nrepository={}\ntags={}\n", image.reference,
                           image.digest, image.repository, tags);
        if (!out)
            reporter.note(fmt::format("warning: cannot append to GITHUB_OUTPUT ({})", output));
    }
    if (!release.dotenv.empty())
        warn("--dotenv", util::write_file_atomic(
                             release.dotenv,
                             fmt::format("RCD_IMAGE={}\nRCD_IMAGE_DIGEST={}\n"
                                         "RCD_IMAGE_REPOSITORY={}\nRCD_IMAGE_TAGS={}\n",
                                         image.reference, image.digest, image.repository, tags)));
    if (!release.image_refs.empty())
        warn("--image-refs", util::write_file_atomic(release.image_refs, image.reference + "\n"));
}

// What a stage run leaves besides result.json: the JUnit file of --junit, and under GitHub
// Actions the step summary. Neither may fail the run: a problem is a note.
void write_run_extras(const GlobalOptions& global, const StageOptions& stages,
                      const release::Project& project, const report::RunReport& report,
                      report::TerminalReporter& reporter) {
    if (!stages.junit.empty()) {
        std::string output;
        for (const auto& stage : report.stages)
            for (const auto& s : project.pipeline.stages)
                if (s.name == stage.name && s.run.size() >= 2 && s.run[1] == "test" &&
                    !stage.log.empty())
                    if (auto text = util::read_file(stage.log))
                        output += *text + "\n";
        auto written =
            util::write_file_atomic(stages.junit, report::junit_xml(report::parse_libtest(output)));
        if (!written)
            reporter.note(fmt::format("warning: --junit: {}", written.error().message));
    }
    const char* summary = std::getenv("GITHUB_STEP_SUMMARY");
    if (summary && *summary && report::detect_ci_format(global.ci()) == report::CiFormat::github) {
        std::ofstream out(summary, std::ios::app);
        out << report::to_markdown(report);
        if (!out)
            reporter.note(
                fmt::format("warning: cannot append to GITHUB_STEP_SUMMARY ({})", summary));
    }
}

// The image of the last build: assembled and checked to start, tried with image.smoke when
// it is pushed (the "smoke" stage joins `stages`), then written and pushed.
Result<report::ImageSummary> ship_image(const release::Project& project,
                                        const release::PublishOptions& options,
                                        report::TerminalReporter& reporter,
                                        const release::Notify& notify,
                                        std::vector<exec::StageResult>& stages) {
    RCD_ASSIGN(auto built, release::build_image(project, options, notify));
    if (project.config.image.smoke && options.push) {
        RCD_ASSIGN(auto smoke, release::smoke_test(project, built, reporter));
        stages.push_back(smoke);
        if (smoke.status == exec::StageStatus::failed)
            return fail(
                ExitCode::stage_failed,
                fmt::format("the image's smoke test failed: {}; nothing was pushed", smoke.reason),
                smoke.log.empty() ? "check the container engine"
                                  : fmt::format("its output is in {}", smoke.log));
    }
    return release::deliver(project, built, options, notify);
}

// Whether target/rcd/result.json records a run of this same clean commit that passed every
// check stage: what lets `rcd image --push` move `latest`.
bool recorded_checks_passed(const release::Project& project) {
    auto text = util::read_file(project.rcd_dir() / "result.json");
    if (!text || !project.repo || project.repo->dirty())
        return false;
    // Read with checked access: the file may have been edited by hand.
    auto doc = nlohmann::json::parse(*text, nullptr, false);
    if (!doc.is_object() || !doc.contains("repo") || !doc["repo"].is_object())
        return false;
    const auto& repo = doc["repo"];
    auto is = [](const nlohmann::json& obj, const char* key, const nlohmann::json& want) {
        auto it = obj.find(key);
        return it != obj.end() && *it == want;
    };
    return is(doc, "checks_passed", true) && is(repo, "commit", project.repo->commit) &&
           is(repo, "dirty", false);
}

} // namespace

int report_error(const GlobalOptions& global, const std::string& command, const Error& error) {
    if (global.json) {
        report::RunReport report;
        report.command = command;
        report.directory = absolute_dir(global);
        report.exit_code = static_cast<int>(error.code);
        report.error = error;
        print_json(report::to_json(report));
    }
    release::finish_result(error);
    make_reporter(global).error(error);
    return static_cast<int>(error.code);
}

int run_stages_command(const std::string& command, const GlobalOptions& global,
                       const StageOptions& stages) {
    auto project = release::load_project(project_options(global));
    if (!project)
        return report_error(global, command, project.error());
    release::begin_result(*project, command);
    auto settings = run_settings(command, global, stages);
    if (auto selected = release::check_selection(*project, settings.selection); !selected)
        return report_error(global, command, selected.error());

    auto reporter = make_reporter(global, &*project);
    TransferDisplay display(global, reporter);
    release::Notify notify = display.notify();

    reporter.note(fmt::format("rcd {}: {} ({} pipeline, {})", command, project->config.name,
                              project->pipeline.language, project->pipeline.origin));
    release::PublishOptions registry_options;
    registry_options.push = false;
    registry_options.attempts = 2;
    display.attach(registry_options);
    auto planner = run_cache(*project, settings, registry_options, stages, notify);
    settings.cache = planner ? &*planner : nullptr;
    auto report = release::run_pipeline(*project, settings, reporter, notify);
    if (!report)
        return report_error(global, command, report.error());
    if (auto written = release::write_result(*project, *report); !written) {
        reporter.error(written.error());
        report->exit_code = static_cast<int>(written.error().code);
    }
    write_run_extras(global, stages, *project, *report, reporter);
    if (global.json)
        print_json(report::to_json(*report));
    reporter.summary(*report);
    if (report->error)
        reporter.error(*report->error);
    return report->exit_code;
}

namespace {

// The cache section of `rcd plan` and `rcd cache status|pull`.
void print_cache(const report::CacheSummary& cache) {
    std::cout << fmt::format("cache (recipe {})\n", cache.recipe.substr(0, 16));
    for (const auto& p : cache.profiles)
        std::cout << fmt::format("  {:<8} {:<16}  {:<12} {}\n", p.name,
                                 p.key.empty() ? "-" : p.key.substr(0, 16), p.status, p.detail);
}

} // namespace

int plan_command(const GlobalOptions& global, const StageOptions& stages,
                 const ReleaseOptions& release) {
    auto project = release::load_project(project_options(global));
    if (!project)
        return report_error(global, "plan", project.error());
    auto settings = run_settings("release", global, stages);
    auto jobs = release::plan_jobs(*project, settings.selection, release::conditions_of(*project),
                                   settings.stage_env);
    if (!jobs)
        return report_error(global, "plan", jobs.error());

    auto options = publish_options(release, stages.only.empty() && stages.skip.empty());
    auto repository = release::image_repository(*project, options);
    std::vector<std::string> tags;
    if (project->repo)
        tags = release::release_tags(*project->repo, options);

    auto reporter = make_reporter(global);
    report::RunReport report = release::new_report(*project, "plan");
    TransferDisplay display(global, reporter);
    display.attach(options);
    options.attempts = 2;
    auto planner = run_cache(*project, settings, options, stages, display.notify());
    if (planner) {
        planner->look();
        report.cache = release::cache_summary(*planner);
    }

    if (global.json) {
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
    if (report.cache)
        print_cache(*report.cache);
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
    release::begin_result(*project, command);
    auto options = publish_options(release, stages.only.empty() && stages.skip.empty());
    options.push = true;
    auto settings = run_settings(command, global, stages);
    if (auto selected = release::check_selection(*project, settings.selection); !selected)
        return report_error(global, command, selected.error());
    if (auto clean = release::check_clean(*project, options); !clean)
        return report_error(global, command, clean.error());

    auto reporter = make_reporter(global, &*project);
    TransferDisplay display(global, reporter);
    display.attach(options);
    auto notify = display.notify();
    // Fail in seconds, not after the build: the registry answers and takes pushes.
    if (auto access = release::check_registry_access(*project, options, notify); !access)
        return report_error(global, command, access.error());
    reporter.note(fmt::format("rcd release: {} ({} pipeline, {})", project->config.name,
                              project->pipeline.language, project->pipeline.origin));
    auto planner = run_cache(*project, settings, options, stages, notify);
    settings.cache = planner ? &*planner : nullptr;
    auto report = release::run_pipeline(*project, settings, reporter, notify);
    if (!report)
        return report_error(global, command, report.error());
    if (report->ok()) {
        auto started = std::chrono::steady_clock::now();
        auto image = ship_image(*project, options, reporter, notify, report->stages);
        if (image) {
            report->image = *image;
        } else {
            report->exit_code = static_cast<int>(image.error().code);
            report->error = image.error();
        }
        // After the image: a cache that cannot be pushed is a warning, not a failed release.
        if (image && planner && !release.no_cache_push && !release.dry_run) {
            if (auto pushed = planner->push(); pushed && report->cache)
                report->cache->pushed = *pushed > 0;
            else if (!pushed)
                notify(fmt::format("warning: the dependency cache was not pushed: {} ({})",
                                   pushed.error().message, pushed.error().hint));
        }
        report->duration_ms += util::elapsed_ms(started);
    }
    if (auto written = release::write_result(*project, *report); !written)
        reporter.error(written.error());
    write_run_extras(global, stages, *project, *report, reporter);
    if (report->image)
        write_image_refs(global, release, *report->image, reporter);
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
                                  "for example: rcd image --output oci:target/rcd/image"});
    if (auto tags = validate_tags(release.tags); !tags)
        return report_error(global, command, tags.error());
    auto project = release::load_project(project_options(global));
    if (!project)
        return report_error(global, command, project.error());
    // `latest` follows only a commit whose checks passed, as a release would have it.
    const bool checks_passed = recorded_checks_passed(*project);
    release::begin_result(*project, command, checks_passed);
    auto options = publish_options(release, checks_passed);
    options.push = release.push;
    if (auto clean = release::check_clean(*project, options); release.push && !clean)
        return report_error(global, command, clean.error());
    auto reporter = make_reporter(global);
    TransferDisplay display(global, reporter);
    display.attach(options);
    if (release.push && !checks_passed && !release.no_latest && project->repo &&
        !project->repo->dirty())
        reporter.note(fmt::format(
            "rcd: 'latest' stays where it is: no run of every check stage of {} passed here "
            "(target/rcd/result.json); 'rcd release' or 'rcd build' first moves it",
            project->repo->commit.substr(0, 12)));
    auto started = std::chrono::steady_clock::now();
    report::RunReport report = release::new_report(*project, command);
    report.checks_passed = checks_passed;
    auto image = ship_image(*project, options, reporter, display.notify(), report.stages);
    display.clear();
    if (!image)
        return report_error(global, command, image.error());
    report.image = *image;
    report.duration_ms = util::elapsed_ms(started);
    if (auto written = release::write_result(*project, report); !written)
        reporter.error(written.error());
    write_image_refs(global, release, *image, reporter);
    if (global.json)
        print_json(report::to_json(report));
    show_image(reporter, *image);
    if (!image->in_registry())
        reporter.note(fmt::format("rcd: image {}", image->reference));
    return 0;
}

namespace {

int cache_prune(const GlobalOptions& global, const CacheOptions& cache_options,
                const ReleaseOptions& release) {
    const std::string command = "cache prune";
    if (cache_options.remote) {
        auto project = release::load_project(project_options(global));
        if (!project)
            return report_error(global, command, project.error());
        auto options = publish_options(release, false);
        auto reporter = make_reporter(global);
        auto pruned = [&]() -> Result<std::pair<std::string, cache::RemotePrune>> {
            RCD_ASSIGN(auto repository, release::cache_repository(*project, options));
            RCD_ASSIGN(auto ref, registry::parse_reference(repository, false));
            RCD_ASSIGN(auto client,
                       release::connect_registry(ref.registry, options, [&](const std::string& m) {
                           reporter.detail(m);
                       }));
            RCD_ASSIGN(auto result,
                       cache::prune_remote(*client, ref.repository, cache_options.keep));
            return std::pair{repository, result};
        }();
        if (!pruned)
            return report_error(global, command, pruned.error());
        const auto& [repository, result] = *pruned;
        if (global.json) {
            auto doc = report::json_header(command, project->config.name, project->dir.string());
            doc.update({{"ok", true},
                        {"exit_code", 0},
                        {"repository", repository},
                        {"kept", result.kept},
                        {"deleted", result.deleted},
                        {"protected", result.protected_}});
            print_json(doc);
        }
        reporter.note(fmt::format(
            "rcd: {}: deleted {} cache manifest{}, kept {} (the {} newest "
            "of each profile{})",
            repository, result.deleted.size(), result.deleted.size() == 1 ? "" : "s", result.kept,
            cache_options.keep, result.protected_.empty() ? "" : ", and those an image tag names"));
        return 0;
    }
    auto max = util::parse_size(cache_options.max_size);
    if (cache_options.max_size.empty() || !max)
        return report_error(
            global, command,
            Error{ExitCode::usage,
                  fmt::format("--max-size: '{}' is not a size", cache_options.max_size),
                  "give bytes, or a number with K, M or G: --max-size 2G (or --remote --keep N "
                  "for the registry's caches)"});
    cache::LocalStore store(cache::LocalStore::default_root());
    auto freed = store.prune(*max);
    if (!freed)
        return report_error(global, command, freed.error());
    if (global.json) {
        auto doc = report::json_header(command, "", absolute_dir(global));
        doc.update({{"ok", true},
                    {"exit_code", 0},
                    {"cache_dir", store.root().string()},
                    {"freed_bytes", *freed}});
        print_json(doc);
    }
    make_reporter(global).note(fmt::format("rcd: freed {} from {} (limit {})",
                                           util::format_bytes(*freed), store.root().string(),
                                           util::format_bytes(*max)));
    return 0;
}

} // namespace

int cache_command(const GlobalOptions& global, const CacheOptions& cache_options,
                  const ReleaseOptions& release) {
    if (cache_options.action == "prune")
        return cache_prune(global, cache_options, release);
    const std::string command = "cache " + cache_options.action;
    auto project = release::load_project(project_options(global));
    if (!project)
        return report_error(global, command, project.error());
    StageOptions stages;
    auto settings = run_settings("release", global, stages);
    auto options = publish_options(release, false);
    auto reporter = make_reporter(global);
    TransferDisplay display(global, reporter);
    display.attach(options);
    release::Notify notify = display.notify();
    auto opened =
        release::open_cache(*project, settings.selection, settings.stage_env, options, notify);
    if (!opened)
        return report_error(global, command, opened.error());
    if (!*opened)
        return report_error(global, command,
                            Error{ExitCode::usage, "nothing here uses the dependency cache",
                                  "the cache is for Cargo workspaces whose stages name a 'cook:' "
                                  "profile"});
    cache::Planner& planner = **opened;
    report::RunReport report = release::new_report(*project, command);
    bool pushed = false;
    if (cache_options.action == "status") {
        planner.look();
    } else if (cache_options.action == "pull") {
        auto lock = exec::DirectoryLock::acquire(project->rcd_dir() / "lock", true, [&](long pid) {
            notify(fmt::format("waiting for another rcd (pid {}) ...", pid));
        });
        if (!lock)
            return report_error(global, command, lock.error());
        if (auto pulled = planner.prepare(false); !pulled)
            return report_error(global, command, pulled.error());
    } else {
        auto count = planner.push();
        if (!count)
            return report_error(global, command, count.error());
        pushed = *count > 0;
    }
    report.cache = release::cache_summary(planner);
    report.cache->pushed = pushed;
    if (global.json)
        print_json(report::to_json(report));
    else
        print_cache(*report.cache);
    return 0;
}

int init_command(const GlobalOptions& global, const ReleaseOptions& release) {
    release::InitOptions options;
    options.dir = global.dir;
    if (!global.pipelines_dir.empty())
        options.pipelines_dir = global.pipelines_dir;
    if (!release.registry.empty())
        options.registry = release.registry;
    auto written = release::init_config(options);
    if (!written)
        return report_error(global, "init", written.error());
    auto reporter = make_reporter(global);
    if (global.json) {
        auto doc = report::json_header("init", written->name, absolute_dir(global));
        doc.update({{"ok", true},
                    {"exit_code", 0},
                    {"file", written->file.string()},
                    {"language", written->language},
                    {"warning", written->advice ? nlohmann::json(written->advice->detail)
                                                : nlohmann::json(nullptr)}});
        print_json(doc);
    }
    reporter.note(
        fmt::format("rcd: wrote {}:\n{}", written->file.string(), util::trim(written->text)));
    if (written->advice) {
        reporter.note(fmt::format("warning: image: {}", written->advice->detail));
        reporter.note(fmt::format("  hint: {}", written->advice->hint));
    }
    return 0;
}

int doctor_command(const GlobalOptions& global, const ReleaseOptions& release) {
    auto checks = release::run_doctor(project_options(global), publish_options(release, false));
    int exit_code = 0;
    for (const auto& check : checks)
        if (check.verdict == release::Verdict::fail && exit_code == 0)
            exit_code = static_cast<int>(check.code);
    if (global.json) {
        auto doc = report::json_header("doctor", "", absolute_dir(global));
        doc.update({{"ok", exit_code == 0},
                    {"exit_code", exit_code},
                    {"checks", nlohmann::json::array()}});
        for (const auto& c : checks)
            doc["checks"].push_back(
                {{"name", c.name},
                 {"verdict", release::verdict_name(c.verdict)},
                 {"detail", c.detail},
                 {"hint", c.hint.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.hint)}});
        print_json(doc);
    }
    bool color = report::use_color(global.color, global.ci(), STDOUT_FILENO);
    for (const auto& c : checks) {
        std::string verdict = fmt::format("{:<4}", release::verdict_name(c.verdict));
        if (color)
            verdict = fmt::format("\x1b[{}m{}\x1b[0m",
                                  c.verdict == release::Verdict::ok     ? "32"
                                  : c.verdict == release::Verdict::warn ? "33"
                                                                        : "31",
                                  verdict);
        std::string line = fmt::format("{}  {:<11} {}\n", verdict, c.name, c.detail);
        if (c.verdict != release::Verdict::ok && !c.hint.empty())
            line += fmt::format("      {:<11} {}\n", "", c.hint);
        (global.json ? std::cerr : std::cout) << line;
    }
    return exit_code;
}

int pipelines_command(const GlobalOptions& global, const std::string& show) {
    pipeline::Catalog catalog(global.dir,
                              global.pipelines_dir.empty()
                                  ? std::nullopt
                                  : std::optional<std::filesystem::path>(global.pipelines_dir));
    auto doc = report::json_header("pipelines", "", absolute_dir(global));
    if (!show.empty()) {
        auto source = catalog.find(show);
        if (!source)
            return report_error(global, "pipelines", source.error());
        if (global.json) {
            doc.update({{"ok", true},
                        {"exit_code", 0},
                        {"language", source->language},
                        {"origin", source->origin},
                        {"text", source->text}});
            print_json(doc);
        } else {
            std::cout << source->text;
        }
        return 0;
    }
    auto sources = catalog.list();
    if (global.json) {
        doc.update({{"ok", true}, {"exit_code", 0}, {"pipelines", nlohmann::json::array()}});
        for (const auto& s : sources)
            doc["pipelines"].push_back({{"language", s.language}, {"origin", s.origin}});
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
        auto doc = report::json_header("version", "", absolute_dir(global));
        doc.update({{"ok", true},
                    {"exit_code", 0},
                    {"version", report::rcd_version()},
                    {"libraries", nlohmann::json::object()}});
        for (const auto& [name, version] : libraries)
            doc["libraries"][name] = version;
        print_json(doc);
        return 0;
    }
    std::cout << "rcd " << report::rcd_version() << "\n";
    for (const auto& [name, version] : libraries)
        std::cout << fmt::format("  {:<14} {}\n", name, version);
    return 0;
}

} // namespace rcd::cli
