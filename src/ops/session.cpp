#include "session.hpp"

#include "rcd/ops/attest.hpp"
#include "rcd/ops/cache.hpp"
#include "rcd/ops/smoke.hpp"
#include "rcd/registry/reference.hpp"
#include "rcd/report/gotest.hpp"
#include "rcd/report/junit.hpp"
#include "rcd/util/fs.hpp"
#include "rcd/util/strings.hpp"

#include <cstdlib>
#include <fmt/format.h>
#include <fstream>
#include <iostream>
#include <unistd.h>

namespace rcd::ops {

bool Invocation::ci() const {
    if (no_ci_flag)
        return false;
    if (ci_flag)
        return true;
    const char* ci = std::getenv("CI");
    return ci && (std::string_view(ci) == "true" || std::string_view(ci) == "1");
}

report::Verbosity Invocation::verbosity() const {
    if (quiet)
        return report::Verbosity::quiet;
    return verbose ? report::Verbosity::verbose : report::Verbosity::normal;
}

ProjectOptions Invocation::project() const {
    ProjectOptions options;
    options.dir = dir;
    if (!config_file.empty())
        options.config_file = config_file;
    if (!pipelines_dir.empty())
        options.pipelines_dir = pipelines_dir;
    return options;
}

std::string Invocation::absolute_dir() const {
    std::error_code ec;
    return std::filesystem::absolute(dir, ec).lexically_normal().string();
}

report::TerminalReporter make_reporter(const Invocation& invocation, const Project* project) {
    report::TerminalStyle style;
    style.verbosity = invocation.verbosity();
    style.color = report::use_color(invocation.color, invocation.ci(), STDERR_FILENO);
    style.ci = report::detect_ci_format(invocation.ci());
    style.spinner = !invocation.ci() && !invocation.quiet && ::isatty(STDERR_FILENO);
    // Annotations name files from the repository's root.
    if (project && project->repo) {
        auto root = (project->workspace ? project->workspace->root : project->dir)
                        .lexically_relative(project->repo->root);
        if (!root.empty() && root != ".")
            style.annotation_root = root.generic_string() + "/";
    }
    if (project && project->language)
        style.module_path = project->language->variable("module").value_or("");
    return report::TerminalReporter(style);
}

void print_json(const nlohmann::json& doc) {
    std::cout << doc.dump() << std::endl;
}

Console::Console(const Invocation& invocation, report::TerminalReporter& reporter)
    : reporter_(reporter),
      transfers_(!invocation.quiet && !invocation.ci() && ::isatty(STDERR_FILENO)),
      scope_([this](log::Level level, const std::string& line) {
          transfers_.clear();
          if (level == log::Level::debug)
              reporter_.detail(line);
          else
              reporter_.note(level == log::Level::warn ? "warning: " + line : line);
      }) {}

void Console::attach(PublishOptions& options) {
    options.progress = [this](const std::string& what, std::int64_t done, std::int64_t total) {
        transfers_.update(what, done, total);
    };
}

Result<Project> open_project(const Invocation& invocation) {
    RCD_ASSIGN(auto project, load_project(invocation.project()));
    // What rcd and the build write there is never the commit's: git ignores the whole directory
    // (as cargo's own target/ is ignored), so a repository without a .gitignore stays clean.
    if (auto ignore = project.target_dir / ".gitignore"; !std::filesystem::exists(ignore))
        (void)util::write_file_atomic(ignore, "# written by rcd: nothing here is committed\n*\n");
    if (auto opened = log::open_file(project.rcd_dir() / "logs" / "rcd.log"); !opened)
        log::warn(opened.error().message);
    return project;
}

RunSettings run_settings(const std::string& command, const Invocation& invocation,
                         const StageOptions& stages) {
    RunSettings settings;
    settings.command = command;
    settings.selection.through =
        command == "check" ? pipeline::Phase::check : pipeline::Phase::build;
    settings.selection.only = stages.only;
    settings.selection.skip = stages.skip;
    settings.selection.bench = stages.bench || !stages.bench_baseline.empty();
    settings.jobs = stages.jobs;
    settings.keep_going = stages.keep_going;
    settings.wait_for_lock = !stages.no_wait;
    settings.selection.cargo_json =
        report::detect_ci_format(invocation.ci()) == report::CiFormat::github;
    // rcd's choice (--color, NO_COLOR, CI mode, a terminal) holds for cargo and rustc too.
    settings.stage_env["CARGO_TERM_COLOR"] =
        report::use_color(invocation.color, invocation.ci(), STDERR_FILENO) ? "always" : "never";
    return settings;
}

std::unique_ptr<cache::Planner> open_run_cache(const Project& project, const RunSettings& settings,
                                               const PublishOptions& options,
                                               const StageOptions& stages) {
    if (stages.no_cache)
        return nullptr;
    auto opened = open_cache(project, settings.selection, settings.stage_env, options);
    if (!opened) {
        log::info("cache: not used: {}", opened.error().message);
        return nullptr;
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

void write_image_refs(const Invocation& invocation, const ReleaseOptions& options,
                      const report::ImageSummary& image) {
    auto warn = [&](const std::string& what, const Status& written) {
        if (!written)
            log::warn("{}: {}", what, written.error().message);
    };
    if (!image.in_registry()) {
        if (!options.dotenv.empty() || !options.image_refs.empty())
            log::info("rcd: --dotenv and --image-refs not written: the image is not in the "
                      "registry");
        return;
    }
    const std::string tags = util::join(image.tags, ",");
    const char* output = std::getenv("GITHUB_OUTPUT");
    if (output && *output &&
        report::detect_ci_format(invocation.ci()) == report::CiFormat::github) {
        std::ofstream out(output, std::ios::app);
        out << fmt::format("image={}\ndigest={}\nrepository={}\ntags={}\n", image.reference,
                           image.digest, image.repository, tags);
        if (!out)
            log::warn("cannot append to GITHUB_OUTPUT ({})", output);
    }
    if (!options.dotenv.empty())
        warn("--dotenv", util::write_file_atomic(
                             options.dotenv,
                             fmt::format("RCD_IMAGE={}\nRCD_IMAGE_DIGEST={}\n"
                                         "RCD_IMAGE_REPOSITORY={}\nRCD_IMAGE_TAGS={}\n",
                                         image.reference, image.digest, image.repository, tags)));
    if (!options.image_refs.empty())
        warn("--image-refs", util::write_file_atomic(options.image_refs, image.reference + "\n"));
}

void write_run_extras(const Invocation& invocation, const StageOptions& stages,
                      const Project& project, const report::RunReport& report) {
    if (!stages.junit.empty()) {
        std::vector<report::TestSuite> suites;
        for (const auto& stage : report.stages) {
            const auto* s = project.pipeline.find(stage.name);
            const std::string format = s ? project.language->test_format(*s) : "";
            if (format.empty() || stage.log.empty())
                continue;
            auto text = util::read_file(stage.log);
            if (!text)
                continue;
            auto read = format == lang::kGoTestJson ? report::parse_go_test(*text)
                                                    : report::parse_libtest(*text);
            suites.insert(suites.end(), read.begin(), read.end());
        }
        auto written = util::write_file_atomic(stages.junit, report::junit_xml(suites));
        if (!written)
            log::warn("--junit: {}", written.error().message);
    }
    const char* summary = std::getenv("GITHUB_STEP_SUMMARY");
    if (summary && *summary &&
        report::detect_ci_format(invocation.ci()) == report::CiFormat::github) {
        std::ofstream out(summary, std::ios::app);
        out << report::to_markdown(report);
        if (!out)
            log::warn("cannot append to GITHUB_STEP_SUMMARY ({})", summary);
    }
}

Result<report::ImageSummary> ship_image(const Project& project, const PublishOptions& options,
                                        report::TerminalReporter& reporter,
                                        report::RunReport& run) {
    RCD_ASSIGN(auto built, build_image(project, options));
    auto& stages = run.stages;
    if (project.config.image.smoke && options.push) {
        RCD_ASSIGN(auto smoke, smoke_test(project, built, reporter));
        stages.push_back(smoke);
        if (smoke.status == exec::StageStatus::failed)
            return fail(
                ExitCode::stage_failed,
                fmt::format("the image's smoke test failed: {}; nothing was pushed", smoke.reason),
                smoke.log.empty() ? "check the container engine"
                                  : fmt::format("its output is in {}", smoke.log));
    }
    // Made with --dry-run too, so that one finds what would stop the attach.
    if (options.push)
        built.attachments = std::async(std::launch::async, [&project, &built, &run] {
                                return attestations(project, built, run);
                            }).share();
    return deliver(project, built, options);
}

bool recorded_checks_passed(const Project& project) {
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

} // namespace rcd::ops
