#include "rcd/ops/attest.hpp"

#include "rcd/ops/bench.hpp"
#include "rcd/ops/publish.hpp"
#include "rcd/ops/stages.hpp"
#include "rcd/supply/provenance.hpp"
#include "rcd/util/fs.hpp"
#include "rcd/util/hash.hpp"
#include "rcd/util/log.hpp"
#include "rcd/util/strings.hpp"

#include <ctime>
#include <fmt/format.h>
#include <future>

namespace rcd::ops {

namespace {

// The CI run that ran rcd, when it says so: the invocation's address.
std::optional<std::string> ci_run_url() {
    if (auto server = util::env("GITHUB_SERVER_URL"), repo = util::env("GITHUB_REPOSITORY"),
        run = util::env("GITHUB_RUN_ID");
        server && repo && run)
        return fmt::format("{}/{}/actions/runs/{}", *server, *repo, *run);
    return util::env("CI_JOB_URL"); // GitLab
}

// Each stage of the pipeline with its command as it runs (variables expanded).
std::map<std::string, std::vector<std::string>> stage_commands(const Project& project) {
    Selection selection;
    selection.through = pipeline::Phase::build;
    std::map<std::string, std::vector<std::string>> out;
    if (auto jobs = plan_jobs(project, selection, conditions_of(project), {}))
        for (const auto& job : *jobs)
            out[job.name] = job.command.argv;
    return out;
}

supply::ProvenanceInput provenance_input(const Project& project, const BuiltImage& built,
                                         const report::RunReport& run) {
    const git::RepoState& repo = *project.repo;
    supply::ProvenanceInput in;
    in.image_repository = built.repository;
    in.manifest_digest = built.image.manifest.digest;
    in.commit = repo.commit;
    in.dirty = repo.dirty();
    in.repository = repo.origin;
    in.branch = repo.branch;
    in.command = "rcd " + run.command;
    in.rcd_version = report::rcd_version();
    in.finished = std::time(nullptr);
    in.started = in.finished - run.duration_ms / 1000;
    auto ci = ci_run_url();
    in.builder_id = ci ? *ci : "https://rcd.dev/builders/local";
    in.invocation_id = ci ? *ci : fmt::format("{}-{}", repo.commit, in.started);
    auto commands = stage_commands(project);
    for (const auto& stage : run.stages)
        in.stages.push_back(
            {stage.name, commands[stage.name], exec::status_name(stage.status), stage.duration_ms});
    in.toolchain = project.language->toolchain();
    in.toolchain["target"] = built.triple;
    if (auto lockfile = project.language->lockfile())
        if (auto lock = util::read_file(*lockfile)) {
            in.lockfile_digest = util::sha256_digest(*lock);
            in.lockfile_name = lockfile->filename().string();
        }
    if (run.cache)
        for (const auto& profile : run.cache->profiles)
            if (!profile.key.empty())
                in.cache_keys[profile.name] = profile.key;
    if (built.base)
        in.base_image = fmt::format("{}/{}@{}", built.base->ref.registry,
                                    built.base->ref.repository, built.base->digest);
    return in;
}

} // namespace

Result<supply::SbomInput> sbom_input(const Project& project, const std::string& triple) {
    RCD_ASSIGN(auto graph, project.language->dependencies(triple, project.config.binary_name()));
    supply::SbomInput in;
    in.graph = std::move(graph);
    in.name = project.config.name;
    in.rcd_version = report::rcd_version();
    if (project.repo) {
        in.commit = project.repo->commit;
        in.created = project.repo->commit_time;
        if (project.repo->origin)
            in.source_url = git::source_url(*project.repo->origin);
    } else {
        in.created = std::time(nullptr);
    }
    return in;
}

Result<std::vector<image::Artifact>> attestations(const Project& project, const BuiltImage& built,
                                                  const report::RunReport& run) {
    std::vector<image::Artifact> out;
    const auto& config = project.config.image;
    if (config.sbom) {
        auto input = sbom_input(project, built.triple);
        if (!input)
            return std::unexpected(input.error().with_context("the SBOM"));
        auto document = supply::spdx_document(*input).dump(2) + "\n";
        out.push_back({supply::kSpdxMediaType,
                       image::Blob::of(supply::kSpdxMediaType, std::move(document)),
                       {{"org.opencontainers.image.created", image::rfc3339(input->created)}},
                       ""});
    }
    if (config.provenance) {
        auto statement = supply::provenance_statement(provenance_input(project, built, run));
        out.push_back({supply::kInTotoMediaType,
                       image::Blob::of(supply::kInTotoMediaType, statement.dump(2) + "\n"),
                       {{"in-toto.io/predicate-type", supply::kSlsaProvenanceV1}},
                       ""});
    }
    if (run.bench)
        out.push_back(bench_artifact(*run.bench));
    return out;
}

Status attach(registry::Client& client, const std::string& repo, const image::Blob& subject,
              const std::vector<image::Artifact>& artifacts, report::ImageSummary& summary) {
    if (artifacts.empty())
        return {};
    const image::Descriptor about{subject.media_type, subject.digest,
                                  static_cast<std::int64_t>(subject.data.size())};
    const auto tag = image::referrers_tag(subject.digest);
    // The blobs at once: the empty config and each document.
    std::vector<image::Blob> blobs = {image::empty_config()};
    std::vector<image::Blob> manifests;
    for (const auto& artifact : artifacts) {
        blobs.push_back(artifact.document);
        manifests.push_back(image::artifact_manifest(artifact, about));
    }
    std::vector<std::future<Result<registry::BlobOutcome>>> pushes;
    for (const auto& blob : blobs)
        pushes.push_back(std::async(std::launch::async, [&client, &repo, &blob] {
            return client.push_blob(repo, blob, std::nullopt);
        }));
    for (auto& push : pushes)
        RCD_CHECK(push.get());
    std::vector<image::Referrer> referrers;
    for (std::size_t i = 0; i < artifacts.size(); ++i) {
        RCD_CHECK(client.put_manifest(repo, manifests[i].digest, manifests[i].media_type,
                                      manifests[i].data));
        if (!artifacts[i].tag.empty())
            RCD_CHECK(client.put_manifest(repo, artifacts[i].tag, manifests[i].media_type,
                                          manifests[i].data));
        referrers.push_back({artifacts[i], manifests[i]});
    }
    // The index the tag names now, if any: what another writer listed is kept.
    std::optional<std::string> existing;
    RCD_ASSIGN(auto current, client.manifest_digest(repo, tag));
    if (current) {
        RCD_ASSIGN(auto fetched, client.get_manifest(repo, tag));
        existing = fetched.body;
    }
    auto index = image::add_referrers(existing, referrers);
    if (!index)
        return std::unexpected(
            index.error().with_context(fmt::format("{}:{}", summary.repository, tag)));
    if (*index)
        RCD_CHECK(client.put_manifest(repo, tag, (*index)->media_type, (*index)->data));
    for (std::size_t i = 0; i < artifacts.size(); ++i) {
        summary.attachments.push_back({artifacts[i].artifact_type, manifests[i].digest});
        log::info("attached {} {} to {}", artifacts[i].artifact_type,
                  image::short_digest(manifests[i].digest), image::short_digest(subject.digest));
    }
    summary.referrers_tag = tag;
    return {};
}

} // namespace rcd::ops
