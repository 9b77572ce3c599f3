#include "rcd/ops/smoke.hpp"

#include "rcd/exec/process.hpp"
#include "rcd/image/layout.hpp"
#include "rcd/util/fs.hpp"
#include "rcd/util/strings.hpp"

#include <chrono>
#include <cstdlib>
#include <fmt/format.h>

namespace rcd::ops {

namespace {

bool answers(const std::string& engine) {
    auto out = exec::capture(exec::Command{{engine, "info"}, {}, {}, std::nullopt});
    return out && out->exit_code == 0;
}

// The stage when it never got to run the image: shown as it ends, like any stage.
exec::StageResult not_run(exec::StageObserver& observer, const std::string& reason,
                          exec::StageStatus status, const std::string& log = {}) {
    exec::StageJob job;
    job.name = "smoke";
    exec::StageResult result;
    result.name = job.name;
    result.status = status;
    result.reason = reason;
    result.log = log;
    observer.on_finish(job, result);
    return result;
}

// "Loaded image: localhost/rcd-smoke/x:tag" (podman, docker) or "Loaded image ID: sha256:…".
std::optional<std::string> loaded_name(const std::string& output) {
    for (const auto& line : util::split(util::strip_ansi(output), '\n'))
        for (const char* prefix : {"Loaded image: ", "Loaded image(s): ", "Loaded image ID: "})
            if (auto at = line.find(prefix); at != std::string::npos)
                return util::trim(line.substr(at + std::string_view(prefix).size()));
    return std::nullopt;
}

} // namespace

std::optional<std::string> find_container_engine() {
    if (const char* chosen = std::getenv("RCD_CONTAINER_ENGINE"); chosen && *chosen)
        return answers(chosen) ? std::optional<std::string>(chosen) : std::nullopt;
    for (const char* engine : {"podman", "docker"})
        if (answers(engine))
            return engine;
    return std::nullopt;
}

Result<exec::StageResult> smoke_test(const Project& project, const BuiltImage& built,
                                     exec::StageObserver& observer) {
    const auto& args = *project.config.image.smoke;
    auto engine = find_container_engine();
    if (!engine)
        return not_run(observer,
                       "no container engine (podman or docker) answers here: the image was not "
                       "tried",
                       exec::StageStatus::skipped);

    const auto log = project.rcd_dir() / "logs" / "smoke.log";
    const auto archive = project.rcd_dir() / "smoke" / "image.tar";
    const std::string tag = fmt::format("rcd-smoke/{}:{}", project.config.name,
                                        built.image.manifest.digest.substr(7, 12));
    auto written = [&]() -> Status {
        RCD_ASSIGN(auto blobs, base_blobs(built));
        return image::write_docker_archive(archive, built.image, {tag}, blobs);
    }();
    if (!written)
        return not_run(
            observer,
            fmt::format("cannot write the image for {}: {}", *engine, written.error().message),
            exec::StageStatus::failed);
    auto loaded = exec::capture(
        exec::Command{{*engine, "load", "-i", archive.string()}, {}, {}, std::nullopt});
    std::error_code ec;
    std::filesystem::remove(archive, ec);
    std::optional<std::string> name =
        loaded && loaded->exit_code == 0 ? loaded_name(loaded->output) : std::nullopt;
    if (!name) {
        (void)util::write_file_atomic(log, loaded ? loaded->output : loaded.error().message);
        return not_run(observer, fmt::format("{} could not load the image", *engine),
                       exec::StageStatus::failed, log.string());
    }

    exec::StageJob job;
    job.name = "smoke";
    job.command.argv = {*engine, "run", "--rm", "--network=none", "--pull=never", *name};
    job.command.argv.insert(job.command.argv.end(), args.begin(), args.end());
    job.command.cwd = project.dir;
    job.timeout = std::chrono::minutes(2);
    job.log_path = log;
    exec::InterruptGuard interrupts;
    exec::RunOptions options;
    auto outcome = exec::run_stages({job}, options, observer, interrupts);
    (void)exec::capture(exec::Command{{*engine, "rmi", "-f", *name}, {}, {}, std::nullopt});
    if (outcome.interrupt_signal != 0)
        return fail(ExitCode::interrupted, "interrupted during the image's smoke test",
                    "run the command again to start over");
    return outcome.results.front();
}

} // namespace rcd::ops
