#include "rcd/ops/publish.hpp"

#include "push.hpp"
#include "rcd/exec/lock.hpp"
#include "rcd/exec/process.hpp"
#include "rcd/image/base.hpp"
#include "rcd/image/elf.hpp"
#include "rcd/image/layout.hpp"
#include "rcd/ops/stages.hpp"
#include "rcd/ops/startable.hpp"
#include "rcd/registry/client.hpp"
#include "rcd/util/duration.hpp"
#include "rcd/util/fs.hpp"
#include "rcd/util/log.hpp"
#include "rcd/util/strings.hpp"

#include <charconv>
#include <chrono>
#include <cstdlib>
#include <fmt/format.h>
#include <fmt/std.h>

namespace rcd::ops {

namespace {

using Clock = std::chrono::steady_clock;

// nonroot, as distroless and ko run: a service needs no root inside its container.
constexpr const char* kDefaultUser = "65532:65532";

// The stage that builds the binary, as it would run, from the same planning code; nothing when
// no stage `produces: binary` (language: generic ships image.binary).
Result<std::optional<exec::StageJob>> binary_stage(const Project& project) {
    std::optional<std::string> name;
    for (const auto& stage : project.pipeline.stages)
        if (stage.produces == "binary")
            name = stage.name;
    if (!name)
        return std::optional<exec::StageJob>{};
    Selection selection;
    selection.through = pipeline::Phase::build;
    selection.only = {*name};
    RCD_ASSIGN(auto jobs, plan_jobs(project, selection, conditions_of(project), {}));
    return std::optional<exec::StageJob>(jobs.front());
}

std::optional<std::string> package_version(const Project& project, const std::string& binary) {
    if (!project.workspace)
        return std::nullopt;
    for (const auto& package : project.workspace->members)
        for (const auto& target : package.targets)
            if (target.name == binary && target.has_kind("bin"))
                return package.version;
    return std::nullopt;
}

// A scratch image has no user database: name the users an image may run as.
std::vector<image::ImageFile> user_database() {
    return {{"/etc/group", "root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n", 0644},
            {"/etc/passwd",
             "root:x:0:0:root:/root:/sbin/nologin\n"
             "nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n"
             "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n",
             0644}};
}

// What goes into the image, from rcd.yaml, the commit and the built binary.
Result<image::ImageSpec> image_spec(const Project& project, const image::Platform& platform,
                                    std::string binary, const PublishOptions& options) {
    const git::RepoState& repo = *project.repo;
    image::ImageSpec spec;
    spec.platform = platform;
    spec.compression = options.compression;
    spec.mtime = repo.commit_time;
    if (auto epoch = util::env("SOURCE_DATE_EPOCH")) {
        long long seconds = 0;
        auto [end, ec] = std::from_chars(epoch->data(), epoch->data() + epoch->size(), seconds);
        if (epoch->empty() || ec != std::errc() || end != epoch->data() + epoch->size() ||
            seconds < 0)
            return fail(ExitCode::usage,
                        fmt::format("SOURCE_DATE_EPOCH='{}' is not a number of seconds since 1970",
                                    util::printable(*epoch, 40)),
                        "unset it (rcd then uses the commit's time) or give whole seconds");
        spec.mtime = seconds;
    }
    const std::string& name = project.config.binary_name();
    const std::string in_image = binary_in_image(project.config);
    spec.app.push_back({in_image, std::move(binary), 0755});
    const auto& config = project.config.image;
    if (config.base == "scratch")
        for (auto& file : user_database())
            spec.app.push_back(std::move(file));
    for (const auto& copy : config.files) {
        // A link may still lead out of the repository: where it resolves is what counts.
        std::error_code ec;
        const auto inside = std::filesystem::weakly_canonical(repo.root, ec);
        const auto resolved = std::filesystem::weakly_canonical(project.dir / copy.src, ec);
        auto rel = resolved.lexically_relative(inside);
        if (ec || rel.empty() || *rel.begin() == "..")
            return fail(ExitCode::usage,
                        fmt::format("image.files: '{}' resolves to {}, outside the repository",
                                    copy.src, resolved),
                        "copy what the image needs into the repository and commit it");
        if (auto untracked = git::untracked_files(repo.root, rel.generic_string());
            untracked && !untracked->empty())
            log::warn("image.files: {} {} not committed (untracked or ignored "
                      "by git), so the image is not only the commit",
                      util::join(*untracked, ", "), untracked->size() == 1 ? "is" : "are");
        RCD_ASSIGN(auto files, image::collect_files(project.dir / copy.src, copy.dst));
        spec.files.insert(spec.files.end(), files.begin(), files.end());
    }
    spec.entrypoint = config.entrypoint.value_or(std::vector<std::string>{in_image});
    spec.cmd = config.cmd;
    spec.env = config.env;
    spec.workdir = config.workdir;
    spec.user = !config.user ? kDefaultUser : *config.user == "root" ? "0:0" : *config.user;
    spec.exposed_ports = config.expose;
    spec.labels = config.labels;
    spec.labels[image::kRevisionLabel] = repo.commit;
    spec.labels["org.opencontainers.image.created"] = image::rfc3339(spec.mtime);
    spec.labels["org.opencontainers.image.title"] = project.config.name;
    // Normalised, so that every clone of the repository builds the same image.
    if (auto source = repo.origin ? git::source_url(*repo.origin) : std::nullopt)
        spec.labels["org.opencontainers.image.source"] = *source;
    if (auto version = package_version(project, name))
        spec.labels["org.opencontainers.image.version"] = *version;
    return spec;
}

// --output oci:DIR and docker-archive:FILE.
Status write_outputs(const BuiltImage& built, const PublishOptions& options,
                     report::ImageSummary& summary) {
    if (options.outputs.empty())
        return {};
    RCD_ASSIGN(auto blobs, base_blobs(built));
    for (const auto& output : options.outputs) {
        auto colon = output.find(':');
        std::string kind = output.substr(0, colon);
        std::filesystem::path where = colon == std::string::npos ? "" : output.substr(colon + 1);
        if (kind == "oci" && !where.empty()) {
            RCD_CHECK(image::write_oci_layout(where, built.image, summary.tags, blobs));
        } else if (kind == "docker-archive" && !where.empty()) {
            std::vector<std::string> repo_tags;
            for (const auto& tag : summary.tags)
                repo_tags.push_back(built.repository + ":" + tag);
            RCD_CHECK(image::write_docker_archive(where, built.image, repo_tags, blobs));
        } else {
            return fail(ExitCode::usage, fmt::format("unknown output '{}'", output),
                        "use --output oci:DIR or --output docker-archive:FILE.tar");
        }
        summary.outputs.push_back(output);
        log::info("wrote {}", output);
    }
    return {};
}

} // namespace

Result<std::shared_ptr<registry::Client>> connect_registry(const std::string& registry_name,
                                                           const PublishOptions& options) {
    RCD_ASSIGN(auto credentials, registry::find_credentials(registry_name));
    registry::RegistryOptions client_options = options.connection;
    if (auto timeout = util::env("RCD_REGISTRY_TIMEOUT")) {
        auto limit = util::parse_duration(*timeout);
        if (!limit || limit->count() <= 0)
            return fail(ExitCode::usage,
                        fmt::format("RCD_REGISTRY_TIMEOUT='{}' is not a duration",
                                    util::printable(*timeout, 40)),
                        "give a duration such as 90s or 2m");
        client_options.deadline = *limit;
    }
    return registry::Client::connect(registry_name, credentials, client_options);
}

Result<PulledBase> pull_base(const std::string& reference, const image::Platform& platform,
                             const PublishOptions& options) {
    RCD_ASSIGN(auto ref, registry::parse_reference(reference));
    RCD_ASSIGN(auto client, connect_registry(ref.registry, options));
    RCD_ASSIGN(auto manifest,
               client->get_manifest(ref.repository, ref.digest ? *ref.digest : *ref.tag));
    RCD_ASSIGN(auto kind, image::manifest_kind(manifest.media_type, manifest.body, reference));
    if (kind == image::ManifestKind::index) {
        RCD_ASSIGN(auto chosen, image::select_platform(manifest.body, platform, reference));
        RCD_ASSIGN(manifest, client->get_manifest(ref.repository, chosen));
        RCD_ASSIGN(kind, image::manifest_kind(manifest.media_type, manifest.body, reference));
        if (kind != image::ManifestKind::image)
            return fail(ExitCode::registry,
                        fmt::format("base image {}: its index names another index", reference),
                        "check the base image reference");
    }
    RCD_ASSIGN(auto parsed, image::parse_image_manifest(manifest.body, reference));
    PulledBase pulled{{}, ref, client, manifest.digest};
    pulled.base.reference = reference;
    pulled.base.layers = std::move(parsed.layers);
    RCD_ASSIGN(auto config, client->get_blob(ref.repository, parsed.config.digest));
    RCD_CHECK(image::read_base_config(config, pulled.base));
    return pulled;
}

std::string binary_in_image(const pipeline::RepoConfig& config) {
    return "/usr/local/bin/" + config.binary_name();
}

std::optional<std::string> configured_registry(const Project& project,
                                               const PublishOptions& options) {
    if (!options.registry.empty())
        return options.registry;
    if (auto registry = util::env("RCD_REGISTRY"))
        return registry;
    return project.config.registry;
}

Result<std::string> image_repository(const Project& project, const PublishOptions& options) {
    std::optional<std::string> registry = configured_registry(project, options);
    if (!registry) {
        if (options.push)
            return fail(ExitCode::usage, "no registry to push the image to",
                        "add 'registry: host:port/path' to rcd.yaml, set RCD_REGISTRY, or pass "
                        "--registry");
        return project.config.name;
    }
    std::string text = *registry;
    while (text.ends_with('/'))
        text.pop_back();
    // Host names are case-insensitive and repository paths lower case: GitHub's
    // ${{ github.repository_owner }} keeps the owner's capitals, ghcr.io wants none.
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    RCD_ASSIGN(auto ref, registry::parse_reference(text + "/" + project.config.name, false));
    return ref.name();
}

Status check_registry_access(const Project& project, const PublishOptions& options) {
    RCD_ASSIGN(auto repository, image_repository(project, options));
    RCD_ASSIGN(auto ref, registry::parse_reference(repository, false));
    RCD_ASSIGN(auto client, connect_registry(ref.registry, options));
    if (options.dry_run)
        return {};
    return client->check_push(ref.repository);
}

std::vector<std::string> release_tags(const git::RepoState& repo, const PublishOptions& options) {
    std::vector<std::string> tags;
    if (repo.dirty()) {
        tags.push_back(repo.commit + "-dirty");
    } else {
        tags.push_back(repo.commit);
        if (!options.no_latest && options.checks_passed)
            tags.push_back("latest");
    }
    for (const auto& t : options.extra_tags)
        if (std::find(tags.begin(), tags.end(), t) == tags.end())
            tags.push_back(t);
    return tags;
}

Status check_clean(const Project& project, const PublishOptions& options) {
    if (!project.repo)
        return std::unexpected(project.repo.error());
    if (!project.repo->dirty() || options.allow_dirty)
        return {};
    std::vector<std::string> files = project.repo->dirty_files;
    std::string listed =
        util::join(std::vector<std::string>(
                       files.begin(), files.begin() + std::min<std::size_t>(files.size(), 20)),
                   "\n  ");
    if (files.size() > 20)
        listed += fmt::format("\n  … and {} more", files.size() - 20);
    return fail(ExitCode::repository,
                fmt::format("the working tree has uncommitted changes:\n  {}", listed),
                "commit or stash them, or pass --allow-dirty to tag <sha>-dirty");
}

Status check_unchanged(const Project& project, const PublishOptions& options) {
    if (!project.repo || options.allow_dirty)
        return {};
    RCD_ASSIGN(auto now, git::inspect(project.dir));
    if (now.commit == project.repo->commit && now.dirty_files == project.repo->dirty_files)
        return {};
    return fail(ExitCode::repository,
                now.commit != project.repo->commit
                    ? fmt::format("HEAD moved from {} to {} while rcd ran",
                                  project.repo->commit.substr(0, 12), now.commit.substr(0, 12))
                    : fmt::format("the working tree changed while rcd ran:\n  {}",
                                  util::join(now.dirty_files, "\n  ")),
                "the binary may not be the commit, so nothing was tagged or pushed; commit the "
                "change and release again");
}

Result<lang::Target> planned_target(const Project& project, const std::filesystem::path* binary) {
    RCD_ASSIGN(auto job, binary_stage(project));
    std::optional<std::filesystem::path> shipped;
    if (!binary && project.config.image.binary) {
        std::error_code ec;
        if (std::filesystem::exists(project.dir / *project.config.image.binary, ec))
            shipped = project.dir / *project.config.image.binary;
    }
    return project.language->planned_target(job ? &*job : nullptr,
                                            binary ? binary : (shipped ? &*shipped : nullptr));
}

Result<std::filesystem::path> locate_binary(const Project& project) {
    if (const auto& file = project.config.image.binary) {
        auto path = project.dir / *file;
        std::error_code ec;
        if (!std::filesystem::is_regular_file(path, ec))
            return fail(ExitCode::usage,
                        fmt::format("{}: image.binary '{}' is not there ({})", project.config.file,
                                    *file, path),
                        "build it first: the stages rcd.yaml declares run with rcd build");
        return path;
    }
    RCD_ASSIGN(auto job, binary_stage(project));
    return project.language->locate_binary(job ? &*job : nullptr, project.config.binary_name());
}

Result<BuiltImage> build_image(const Project& project, const PublishOptions& options) {
    if (!project.repo)
        return std::unexpected(project.repo.error());
    const auto started = Clock::now();
    BuiltImage built;
    RCD_ASSIGN(built.repository, image_repository(project, options));
    // The binary is found (cargo may build it) with the target directory to itself, as the
    // stages had it.
    RCD_ASSIGN(auto lock, lock_target(project, true));
    RCD_ASSIGN(auto binary, locate_binary(project));
    built.locate_ms = util::elapsed_ms(started);
    const auto located = Clock::now();
    RCD_ASSIGN(auto target, planned_target(project, &binary));
    built.triple = target.name;
    const auto& platform = target.platform;
    RCD_ASSIGN(auto bytes, util::read_file(binary));
    auto executable = image::read_executable(bytes);
    if (!executable)
        return std::unexpected(executable.error().with_context(binary.string()));
    RCD_ASSIGN(auto spec, image_spec(project, platform, std::move(bytes), options));
    RCD_CHECK(check_unchanged(project, options));
    if (project.config.image.base != "scratch") {
        RCD_ASSIGN(built.base, pull_base(project.config.image.base, platform, options));
        spec.base = built.base->base;
    }

    // Before anything is written or pushed: the binary can start in this image.
    RCD_CHECK(check_image_starts(*executable, spec, built.base ? &*built.base : nullptr,
                                 project.config.image.base));

    RCD_ASSIGN(built.image, image::assemble(spec));
    built.tags = release_tags(*project.repo, options);
    built.assemble_ms = util::elapsed_ms(located);
    return built;
}

Result<std::vector<image::Blob>> base_blobs(const BuiltImage& built) {
    std::vector<image::Blob> blobs;
    if (built.base)
        for (const auto& layer : built.base->base.layers) {
            RCD_ASSIGN(auto data,
                       built.base->client->get_blob(built.base->ref.repository, layer.digest));
            blobs.push_back({layer.media_type, layer.digest, std::move(data)});
        }
    return blobs;
}

Result<report::ImageSummary> deliver(const Project& project, const BuiltImage& built,
                                     const PublishOptions& options) {
    report::ImageSummary summary;
    summary.repository = built.repository;
    summary.digest = built.image.manifest.digest;
    summary.reference = built.repository + "@" + built.image.manifest.digest;
    summary.tags = built.tags;
    summary.locate_ms = built.locate_ms;
    summary.assemble_ms = built.assemble_ms;
    summary.status = "written";
    RCD_CHECK(write_outputs(built, options, summary));
    if (options.push) {
        const auto push_started = Clock::now();
        RCD_CHECK(push_image(project, built, options, summary));
        summary.push_ms = util::elapsed_ms(push_started);
    }
    return summary;
}

} // namespace rcd::ops
