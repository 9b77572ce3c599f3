#include "rcd/release/publish.hpp"

#include "rcd/exec/process.hpp"
#include "rcd/image/layout.hpp"
#include "rcd/registry/client.hpp"
#include "rcd/registry/reference.hpp"
#include "rcd/release/stages.hpp"
#include "rcd/util/duration.hpp"
#include "rcd/util/fs.hpp"
#include "rcd/util/strings.hpp"

#include <chrono>
#include <cstdlib>
#include <fmt/format.h>
#include <fmt/std.h>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

namespace rcd::release {

namespace {

using Clock = std::chrono::steady_clock;

std::string short_digest(const std::string& digest) {
    return digest.substr(0, 7 + 12);
}

std::optional<std::string> env(const char* name) {
    const char* value = std::getenv(name);
    if (value && *value)
        return std::string(value);
    return std::nullopt;
}

// The stage that builds the binary, as it would run, from the same planning code.
Result<exec::StageJob> binary_stage(const Project& project) {
    std::optional<std::string> name;
    for (const auto& stage : project.pipeline.stages)
        if (stage.produces == "binary")
            name = stage.name;
    if (!name)
        return fail(ExitCode::usage,
                    fmt::format("the {} pipeline has no stage with 'produces: binary'",
                                project.pipeline.language),
                    "mark the stage that builds the release binary with produces: binary");
    Selection selection;
    selection.through = pipeline::Phase::build;
    selection.only = {*name};
    RCD_ASSIGN(auto jobs, plan_jobs(project, selection, conditions_of(project), {}));
    return jobs.front();
}

Result<std::string> target_triple(const Project& project, const std::filesystem::path& binary) {
    // With build.target set, cargo puts the binary under target/<triple>/release/.
    auto relative = binary.lexically_relative(project.target_dir);
    auto first = relative.begin();
    if (first != relative.end() && first->string().find('-') != std::string::npos)
        return first->string();
    RCD_ASSIGN(auto out,
               exec::capture(exec::Command{{"rustc", "-vV"}, {}, project.dir, std::nullopt}));
    for (const auto& line : util::split(out.output, '\n'))
        if (line.starts_with("host: "))
            return line.substr(6);
    return fail(ExitCode::usage, "cannot tell rustc's target triple from 'rustc -vV'",
                "check the Rust toolchain");
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

struct PulledBase {
    image::BaseImage base;
    registry::Reference ref;
    std::shared_ptr<registry::Client> client;
};

} // namespace

Result<std::shared_ptr<registry::Client>> connect_registry(const std::string& registry_name,
                                                           const PublishOptions& options,
                                                           const Notify& notify) {
    RCD_ASSIGN(auto credentials, registry::find_credentials(registry_name));
    registry::ClientOptions client_options;
    client_options.insecure = options.insecure;
    client_options.ca_file = options.ca_file;
    client_options.max_attempts = options.attempts;
    client_options.log = options.decisions ? options.decisions : notify;
    return registry::Client::connect(registry_name, credentials, client_options);
}

namespace {

Result<PulledBase> pull_base(const std::string& reference, const image::Platform& platform,
                             const PublishOptions& options, const Notify& notify) {
    RCD_ASSIGN(auto ref, registry::parse_reference(reference));
    RCD_ASSIGN(auto client, connect_registry(ref.registry, options, notify));
    std::string wanted = ref.digest ? *ref.digest : *ref.tag;
    RCD_ASSIGN(auto manifest, client->get_manifest(ref.repository, wanted));
    try {
        auto doc = nlohmann::json::parse(manifest.body);
        if (manifest.media_type == image::kOciIndex ||
            manifest.media_type == image::kDockerManifestList || doc.contains("manifests")) {
            std::optional<std::string> chosen;
            for (const auto& m : doc.at("manifests")) {
                const auto& p = m.value("platform", nlohmann::json::object());
                if (p.value("os", "") == platform.os &&
                    p.value("architecture", "") == platform.architecture) {
                    chosen = m.at("digest");
                    break;
                }
            }
            if (!chosen)
                return fail(ExitCode::registry,
                            fmt::format("base image {} has no {}/{} image", reference, platform.os,
                                        platform.architecture),
                            "choose a base image built for that platform");
            RCD_ASSIGN(manifest, client->get_manifest(ref.repository, *chosen));
            doc = nlohmann::json::parse(manifest.body);
        }
        PulledBase pulled{{}, ref, client};
        pulled.base.reference = reference;
        for (const auto& layer : doc.at("layers"))
            pulled.base.layers.push_back(
                {layer.at("mediaType"), layer.at("digest"), layer.at("size")});
        RCD_ASSIGN(auto config_text,
                   client->get_blob(ref.repository, doc.at("config").at("digest")));
        auto config = nlohmann::json::parse(config_text);
        pulled.base.diff_ids = config.at("rootfs").at("diff_ids").get<std::vector<std::string>>();
        if (config.contains("config") && config["config"].contains("Env") &&
            config["config"]["Env"].is_array())
            pulled.base.env = config["config"]["Env"].get<std::vector<std::string>>();
        for (const auto& h : config.value("history", nlohmann::json::array()))
            if (!h.value("empty_layer", false))
                pulled.base.history.push_back(h.value("created_by", ""));
        return pulled;
    } catch (const nlohmann::json::exception& e) {
        return fail(
            ExitCode::registry,
            fmt::format("base image {}: unreadable manifest or config: {}", reference, e.what()),
            "check the base image reference");
    }
}

// What goes into the image, from rcd.yaml, the commit and the built binary.
Result<image::ImageSpec> image_spec(const Project& project, const image::Platform& platform,
                                    const std::filesystem::path& binary,
                                    const PublishOptions& options) {
    const git::RepoState& repo = *project.repo;
    image::ImageSpec spec;
    spec.platform = platform;
    spec.compression = options.compression;
    spec.mtime = repo.commit_time;
    if (auto epoch = env("SOURCE_DATE_EPOCH");
        epoch && epoch->find_first_not_of("0123456789") == std::string::npos)
        spec.mtime = std::stoll(*epoch);
    const std::string& name = project.config.binary_name();
    const std::string in_image = "/usr/local/bin/" + name;
    RCD_ASSIGN(auto content, util::read_file(binary));
    spec.app.push_back({in_image, std::move(content), 0755});
    for (const auto& copy : project.config.image.files) {
        RCD_ASSIGN(auto files, image::collect_files(project.dir / copy.src, copy.dst));
        spec.files.insert(spec.files.end(), files.begin(), files.end());
    }
    const auto& config = project.config.image;
    spec.entrypoint = config.entrypoint.value_or(std::vector<std::string>{in_image});
    spec.cmd = config.cmd;
    spec.env = config.env;
    spec.workdir = config.workdir;
    spec.user = config.user;
    spec.exposed_ports = config.expose;
    spec.labels = config.labels;
    spec.labels["org.opencontainers.image.revision"] = repo.commit;
    spec.labels["org.opencontainers.image.created"] = image::rfc3339(spec.mtime);
    spec.labels["org.opencontainers.image.title"] = project.config.name;
    if (repo.origin)
        spec.labels["org.opencontainers.image.source"] = *repo.origin;
    if (auto version = package_version(project, name))
        spec.labels["org.opencontainers.image.version"] = *version;

    return spec;
}

// --output oci:DIR and docker-archive:FILE.
Status write_outputs(const image::Image& image, const std::optional<PulledBase>& base,
                     const PublishOptions& options, const Notify& notify,
                     report::ImageSummary& summary) {
    const std::string& repository = summary.repository;
    // Base layers' bytes, fetched only when a file output needs them.
    std::vector<image::Blob> base_blobs;
    if (base && !options.outputs.empty())
        for (const auto& layer : base->base.layers) {
            RCD_ASSIGN(auto data, base->client->get_blob(base->ref.repository, layer.digest));
            base_blobs.push_back({layer.media_type, layer.digest, std::move(data)});
        }
    for (const auto& output : options.outputs) {
        auto colon = output.find(':');
        std::string kind = output.substr(0, colon);
        std::filesystem::path where = colon == std::string::npos ? "" : output.substr(colon + 1);
        if (kind == "oci" && !where.empty()) {
            RCD_CHECK(image::write_oci_layout(where, image, summary.tags, base_blobs));
        } else if (kind == "docker-archive" && !where.empty()) {
            std::vector<std::string> repo_tags;
            for (const auto& tag : summary.tags)
                repo_tags.push_back(repository + ":" + tag);
            RCD_CHECK(image::write_docker_archive(where, image, repo_tags, base_blobs));
        } else {
            return fail(ExitCode::usage, fmt::format("unknown output '{}'", output),
                        "use --output oci:DIR or --output docker-archive:FILE.tar");
        }
        summary.outputs.push_back(output);
        notify(fmt::format("wrote {}", output));
    }
    return {};
}

// Blobs (several at once), then the manifest by digest, then the tags; a commit tag naming
// another image is refused before anything is written.
Status push_image(const image::Image& image, const std::optional<PulledBase>& base,
                  const PublishOptions& options, const Notify& notify,
                  report::ImageSummary& summary) {
    const std::string& repository = summary.repository;
    RCD_ASSIGN(auto ref, registry::parse_reference(repository, false));
    RCD_ASSIGN(auto client, connect_registry(ref.registry, options, notify));
    const std::string& repo_name = ref.repository;

    // Commit tags are immutable: check before anything is written.
    const std::string& commit_tag = summary.tags.front();
    RCD_ASSIGN(auto existing, client->manifest_digest(repo_name, commit_tag));
    if (existing && *existing != image.manifest.digest && !options.force)
        return fail(ExitCode::registry,
                    fmt::format("{}:{} already names {}, not this build's {}", repository,
                                commit_tag, *existing, image.manifest.digest),
                    "a commit's image is immutable; pass --force to replace it");

    // Each distinct blob once: an image may hold the same layer twice.
    std::vector<image::Descriptor> all;
    std::set<std::string> seen;
    for (const auto& layer : image.layers)
        if (seen.insert(layer.digest).second)
            all.push_back(layer);
    all.push_back({image.config.media_type, image.config.digest,
                   static_cast<std::int64_t>(image.config.data.size())});

    RCD_ASSIGN(auto present, client->manifest_digest(repo_name, image.manifest.digest));
    if (present) {
        summary.blobs_skipped = static_cast<int>(all.size());
        notify(
            fmt::format("{} is already in {}", short_digest(image.manifest.digest), ref.registry));
    } else {
        struct Outcome {
            registry::BlobOutcome outcome;
            std::int64_t bytes;
        };
        // Our own blobs (layers and config) by digest; any other layer is the base's.
        std::map<std::string, const image::Blob*> own;
        for (const auto& blob : image.own_layers)
            own[blob.digest] = &blob;
        own[image.config.digest] = &image.config;
        auto push_one = [&](const image::Descriptor& layer) -> Result<Outcome> {
            auto started = Clock::now();
            if (auto it = own.find(layer.digest); it != own.end()) {
                const image::Blob& blob = *it->second;
                if (options.dry_run) {
                    RCD_ASSIGN(bool has, client->has_blob(repo_name, blob.digest));
                    return Outcome{has ? registry::BlobOutcome::existed
                                       : registry::BlobOutcome::uploaded,
                                   has ? 0 : layer.size};
                }
                registry::Progress progress;
                if (options.progress)
                    progress = [&](std::int64_t done, std::int64_t total) {
                        options.progress(short_digest(blob.digest), done, total);
                    };
                RCD_ASSIGN(auto outcome,
                           client->push_blob(repo_name, blob, std::nullopt, progress));
                if (outcome == registry::BlobOutcome::uploaded) {
                    auto ms = util::elapsed_ms(started);
                    notify(fmt::format("pushed {} ({} in {}, {})", short_digest(blob.digest),
                                       util::format_bytes(layer.size), util::format_duration_ms(ms),
                                       util::format_rate(layer.size, ms)));
                }
                return Outcome{outcome,
                               outcome == registry::BlobOutcome::uploaded ? layer.size : 0};
            }
            // A base layer: there already, mounted from the base's repository on the same
            // registry, or copied from the base's registry.
            RCD_ASSIGN(bool has, client->has_blob(repo_name, layer.digest));
            if (has || options.dry_run)
                return Outcome{
                    has ? registry::BlobOutcome::existed : registry::BlobOutcome::mounted, 0};
            if (base->ref.registry == ref.registry) {
                RCD_ASSIGN(bool mounted,
                           client->mount_blob(repo_name, layer.digest, base->ref.repository));
                if (mounted) {
                    notify(fmt::format("mounted {} from {}", short_digest(layer.digest),
                                       base->ref.repository));
                    return Outcome{registry::BlobOutcome::mounted, 0};
                }
            }
            RCD_ASSIGN(auto data, base->client->get_blob(base->ref.repository, layer.digest));
            image::Blob blob{layer.media_type, layer.digest, std::move(data)};
            RCD_ASSIGN(auto outcome, client->push_blob(repo_name, blob, std::nullopt));
            return Outcome{outcome, outcome == registry::BlobOutcome::uploaded ? layer.size : 0};
        };
        // Several blobs at once, four at a time.
        for (std::size_t start = 0; start < all.size(); start += 4) {
            std::vector<std::future<Result<Outcome>>> running;
            for (std::size_t i = start; i < std::min(all.size(), start + 4); ++i)
                running.push_back(std::async(std::launch::async, push_one, all[i]));
            std::optional<Error> first_error;
            for (auto& f : running) {
                auto r = f.get();
                if (!r) {
                    if (!first_error)
                        first_error = r.error();
                    continue;
                }
                if (r->outcome == registry::BlobOutcome::uploaded)
                    ++summary.blobs_pushed;
                else
                    ++summary.blobs_skipped;
                summary.bytes_uploaded += r->bytes;
            }
            if (first_error)
                return std::unexpected(*first_error);
        }
        if (!options.dry_run)
            RCD_CHECK(client->put_manifest(repo_name, image.manifest.digest,
                                           image.manifest.media_type, image.manifest.data));
    }
    // Tags last: a tag never names an image whose blobs are not all there.
    for (const auto& tag : summary.tags) {
        RCD_ASSIGN(auto current,
                   tag == commit_tag ? existing : client->manifest_digest(repo_name, tag));
        if (current == image.manifest.digest || options.dry_run)
            continue;
        RCD_CHECK(
            client->put_manifest(repo_name, tag, image.manifest.media_type, image.manifest.data));
    }
    return {};
}

} // namespace

std::optional<std::string> configured_registry(const Project& project,
                                               const PublishOptions& options) {
    if (options.registry)
        return options.registry;
    if (auto registry = env("RCD_REGISTRY"))
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
    RCD_ASSIGN(auto ref, registry::parse_reference(text + "/" + project.config.name, false));
    return ref.name();
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

Result<std::filesystem::path> locate_binary(const Project& project) {
    RCD_ASSIGN(auto job, binary_stage(project));
    exec::Command command = job.command;
    command.argv.push_back("--message-format=json");
    command.env["CARGO_TERM_COLOR"] = "never";
    RCD_ASSIGN(auto out, exec::capture(command));
    if (out.exit_code != 0)
        return fail(
            ExitCode::stage_failed,
            fmt::format("'{}' failed while looking for the binary", util::shell_join(command.argv)),
            "run 'rcd build' to see the build's errors");
    const std::string& wanted = project.config.binary_name();
    std::vector<std::string> found;
    for (const auto& line : util::split(out.output, '\n')) {
        if (!line.starts_with("{"))
            continue;
        auto doc = nlohmann::json::parse(line, nullptr, false);
        if (doc.is_discarded() || doc.value("reason", "") != "compiler-artifact" ||
            !doc.contains("executable") || !doc["executable"].is_string())
            continue;
        std::string name = doc["target"].value("name", "");
        if (name == wanted)
            return std::filesystem::path(doc["executable"].get<std::string>());
        found.push_back(name);
    }
    return fail(ExitCode::usage, fmt::format("the build produced no binary named '{}'", wanted),
                found.empty() ? "check that the workspace has a bin target"
                              : fmt::format("set 'binary:' in rcd.yaml to one of: {}",
                                            util::join(found, ", ")));
}

Result<report::ImageSummary> publish(const Project& project, const PublishOptions& options,
                                     const Notify& notify) {
    if (!project.repo)
        return std::unexpected(project.repo.error());
    const auto assemble_started = Clock::now();
    RCD_ASSIGN(auto repository, image_repository(project, options));
    RCD_ASSIGN(auto binary, locate_binary(project));
    RCD_ASSIGN(auto triple, target_triple(project, binary));
    RCD_ASSIGN(auto platform, image::platform_from_triple(triple));
    RCD_ASSIGN(auto spec, image_spec(project, platform, binary, options));
    std::optional<PulledBase> base;
    if (project.config.image.base != "scratch") {
        RCD_ASSIGN(base, pull_base(project.config.image.base, platform, options, notify));
        spec.base = base->base;
    }
    RCD_ASSIGN(auto image, image::assemble(spec));

    report::ImageSummary summary;
    summary.repository = repository;
    summary.digest = image.manifest.digest;
    summary.reference = repository + "@" + image.manifest.digest;
    summary.tags = release_tags(*project.repo, options);
    summary.assemble_ms = util::elapsed_ms(assemble_started);
    RCD_CHECK(write_outputs(image, base, options, notify, summary));
    if (options.push) {
        const auto push_started = Clock::now();
        RCD_CHECK(push_image(image, base, options, notify, summary));
        summary.pushed = !options.dry_run;
        summary.push_ms = util::elapsed_ms(push_started);
    }
    return summary;
}

} // namespace rcd::release
