#include "rcd/ops/doctor.hpp"

#include "rcd/exec/process.hpp"
#include "rcd/lang/language.hpp"
#include "rcd/ops/commands.hpp"
#include "rcd/ops/startable.hpp"
#include "rcd/pipeline/loader.hpp"
#include "rcd/registry/credentials.hpp"
#include "rcd/registry/reference.hpp"
#include "rcd/util/strings.hpp"

#include <fmt/format.h>
#include <iostream>
#include <unistd.h>

namespace rcd::ops {

namespace {

// Run in the project's directory, so its rust-toolchain file applies as it would for a release.
Check tool(const std::string& name, const std::vector<std::string>& argv,
           const std::filesystem::path& dir, const char* hint) {
    auto out = exec::capture(exec::Command{argv, {}, dir, std::nullopt});
    if (!out || out->exit_code != 0)
        return {name, Verdict::fail, fmt::format("'{}' does not run", util::shell_join(argv)), hint,
                ExitCode::usage};
    return {name, Verdict::ok, util::trim(util::split(out->output, '\n').front()), "",
            ExitCode::ok};
}

Check failed(const std::string& name, const Error& error) {
    return {name, Verdict::fail, error.message, error.hint, error.code};
}

} // namespace

std::vector<Check> run_doctor(const ProjectOptions& project_options,
                              const PublishOptions& publish_options) {
    std::vector<Check> checks;
    const auto& dir = project_options.dir;
    // The language's tools, before the project loads (loading a Rust one runs cargo).
    auto config = pipeline::load_repo_config(
        project_options.config_file.value_or(project_options.dir / "rcd.yaml"));
    for (const auto& t : lang::toolchain_checks(config ? config->language : "rust"))
        checks.push_back(tool(t.name, t.argv, dir, t.hint.c_str()));

    auto project = load_project(project_options);
    if (!project) {
        checks.push_back(failed("config", project.error()));
        return checks; // without a configuration, the rest cannot be judged
    }
    checks.push_back({"config", Verdict::ok,
                      fmt::format("{} ({} pipeline, {} stages, {})", project->config.name,
                                  project->pipeline.language, project->pipeline.stages.size(),
                                  project->pipeline.origin),
                      "", ExitCode::ok});

    if (!project->repo) {
        checks.push_back(failed("repository", project->repo.error()));
    } else if (auto clean = check_clean(*project, publish_options); !clean) {
        auto files = project->repo->dirty_files.size();
        checks.push_back(
            {"repository", Verdict::fail,
             fmt::format("{} at {}: {} uncommitted file{}", project->repo->root.string(),
                         project->repo->commit.substr(0, 12), files, files == 1 ? "" : "s"),
             clean.error().hint, ExitCode::repository});
    } else {
        checks.push_back({"repository", Verdict::ok,
                          fmt::format("{} at {}{}", project->repo->root.string(),
                                      project->repo->commit.substr(0, 12),
                                      project->repo->dirty() ? " (dirty, allowed)" : ", clean"),
                          "", ExitCode::ok});
    }

    // The image must be able to start: checked before the registry, which needs no build.
    auto start = check_image_start(*project, publish_options);
    checks.push_back({"image", start.ok ? Verdict::ok : Verdict::fail, start.detail, start.hint,
                      start.ok ? ExitCode::ok : ExitCode::usage});

    if (!configured_registry(*project, publish_options)) {
        checks.push_back({"registry", Verdict::fail, "no registry configured",
                          "add 'registry: host:port/path' to rcd.yaml, set RCD_REGISTRY, or "
                          "pass --registry",
                          ExitCode::usage});
        return checks;
    }
    auto repository = image_repository(*project, publish_options);
    if (!repository) {
        checks.push_back(failed("registry", repository.error()));
        return checks;
    }
    auto ref = registry::parse_reference(*repository, false);
    if (!ref) {
        checks.push_back(failed("registry", ref.error()));
        return checks;
    }
    auto credentials = registry::find_credentials(ref->registry);
    if (!credentials) {
        checks.push_back(failed("credentials", credentials.error()));
        return checks;
    }
    auto client = connect_registry(ref->registry, publish_options);
    if (!client) {
        bool refused = client.error().message.find("credentials refused") != std::string::npos;
        checks.push_back(failed(refused ? "credentials" : "registry", client.error()));
        return checks;
    }
    checks.push_back(
        {"registry", Verdict::ok, fmt::format("{} answers /v2/", ref->registry), "", ExitCode::ok});
    // Push access is what a release needs: the same probe a release makes before its stages.
    auto probe = (*client)->check_push(ref->repository);
    std::string source = *credentials ? (*credentials)->source : "none (anonymous)";
    if (!probe)
        checks.push_back({"credentials", Verdict::fail,
                          fmt::format("{} for {}: {}", source, *repository, probe.error().message),
                          probe.error().hint, ExitCode::registry});
    else
        checks.push_back({"credentials", Verdict::ok,
                          fmt::format("{} accepted for {}", source, *repository), "",
                          ExitCode::ok});
    return checks;
}

Result<int> doctor(const Invocation& invocation, const ReleaseOptions& release_options) {
    PublishOptions options = release_options.publish;
    options.push = true;
    options.checks_passed = false;
    auto checks = run_doctor(invocation.project(), options);
    if (invocation.json)
        print_json(report::doctor_json(checks, invocation.absolute_dir()));
    // With --json, stdout holds only the document: the table goes to stderr.
    (invocation.json ? std::cerr : std::cout) << report::doctor_text(
        checks, report::use_color(invocation.color, invocation.ci(),
                                  invocation.json ? STDERR_FILENO : STDOUT_FILENO));
    return report::doctor_exit_code(checks);
}

} // namespace rcd::ops
