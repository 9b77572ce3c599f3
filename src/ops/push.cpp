#include "push.hpp"

#include "rcd/ops/attest.hpp"
#include "rcd/registry/reference.hpp"
#include "rcd/util/duration.hpp"
#include "rcd/util/log.hpp"
#include "rcd/util/strings.hpp"

#include <atomic>
#include <chrono>
#include <fmt/format.h>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

namespace rcd::ops {

namespace {

// A tag that names one commit: the commit tag, and any tag that looks like a sha.
bool is_commit_tag(const std::string& tag) {
    return (tag.size() == 40 || tag.size() == 64) &&
           tag.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// What pushing one blob did, and the bytes it sent.
struct Pushed {
    registry::BlobOutcome outcome;
    std::int64_t bytes;
};

// One of the image's own blobs (its layers and config): found, or uploaded.
Result<Pushed> push_own_blob(registry::Client& client, const std::string& repo,
                             const image::Blob& blob, const PublishOptions& options) {
    const auto size = static_cast<std::int64_t>(blob.data.size());
    if (options.dry_run) {
        RCD_ASSIGN(bool has, client.has_blob(repo, blob.digest));
        return Pushed{has ? registry::BlobOutcome::existed : registry::BlobOutcome::uploaded,
                      has ? 0 : size};
    }
    registry::Progress progress;
    if (options.progress)
        progress = [&](std::int64_t done, std::int64_t total) {
            options.progress(image::short_digest(blob.digest), done, total);
        };
    const auto started = std::chrono::steady_clock::now();
    RCD_ASSIGN(auto outcome, client.push_blob(repo, blob, std::nullopt, progress));
    if (outcome != registry::BlobOutcome::uploaded)
        return Pushed{outcome, 0};
    auto ms = util::elapsed_ms(started);
    log::info("pushed {} ({} in {}, {})", image::short_digest(blob.digest),
              util::format_bytes(size), util::format_duration_ms(ms), util::format_rate(size, ms));
    return Pushed{outcome, size};
}

// A layer of the base image: found, mounted from the base's repository on the same registry,
// or copied from the base's registry.
Result<Pushed> push_base_blob(registry::Client& client, const std::string& repo,
                              const PulledBase& base, const image::Descriptor& layer,
                              const PublishOptions& options) {
    RCD_ASSIGN(bool has, client.has_blob(repo, layer.digest));
    if (has || options.dry_run)
        return Pushed{has ? registry::BlobOutcome::existed : registry::BlobOutcome::mounted, 0};
    if (base.ref.registry == client.registry()) {
        RCD_ASSIGN(bool mounted, client.mount_blob(repo, layer.digest, base.ref.repository));
        if (mounted) {
            log::info("mounted {} from {}", image::short_digest(layer.digest), base.ref.repository);
            return Pushed{registry::BlobOutcome::mounted, 0};
        }
    }
    RCD_ASSIGN(auto data, base.client->get_blob(base.ref.repository, layer.digest));
    image::Blob blob{layer.media_type, layer.digest, std::move(data)};
    RCD_ASSIGN(auto outcome, client.push_blob(repo, blob, std::nullopt));
    return Pushed{outcome, outcome == registry::BlobOutcome::uploaded ? layer.size : 0};
}

// Every blob of `all`, kBlobWorkers at a time: each worker takes the next blob when its own is
// done, so one slow blob holds up no other. After the first failure no blob is started; the
// error is that first one.
Status push_blobs(registry::Client& client, const std::string& repo, const BuiltImage& built,
                  const std::vector<image::Descriptor>& all, const PublishOptions& options,
                  report::ImageSummary& summary) {
    std::map<std::string, const image::Blob*> own;
    for (const auto& blob : built.image.own_layers)
        own[blob.digest] = &blob;
    own[built.image.config.digest] = &built.image.config;
    auto push_one = [&](const image::Descriptor& layer) -> Result<Pushed> {
        if (auto it = own.find(layer.digest); it != own.end())
            return push_own_blob(client, repo, *it->second, options);
        return push_base_blob(client, repo, *built.base, layer, options);
    };

    std::atomic<std::size_t> next{0};
    std::mutex mutex; // guards summary and first_error
    std::optional<Error> first_error;
    auto worker = [&] {
        for (std::size_t i = next++; i < all.size(); i = next++) {
            {
                std::lock_guard lock(mutex);
                if (first_error)
                    return;
            }
            auto pushed = push_one(all[i]);
            std::lock_guard lock(mutex);
            if (!pushed) {
                if (!first_error)
                    first_error = pushed.error();
                return;
            }
            if (pushed->outcome == registry::BlobOutcome::uploaded)
                ++summary.blobs_pushed;
            else
                ++summary.blobs_skipped;
            summary.bytes_uploaded += pushed->bytes;
        }
    };
    {
        std::vector<std::jthread> workers;
        for (std::size_t n = 0; n < std::min(kBlobWorkers, all.size()); ++n)
            workers.emplace_back(worker);
    }
    if (first_error)
        return std::unexpected(*first_error);
    return {};
}

// What each tag names now.
using Current = std::map<std::string, std::optional<std::string>>;

// A commit's tags are immutable: one naming this commit's image means the commit is released
// (returned); one naming another revision's is refused, unless --force.
Result<std::optional<Tagged>> check_commit_tags(registry::Client& client, const std::string& repo,
                                                const BuiltImage& built, const std::string& commit,
                                                const std::vector<std::string>& tags,
                                                const PublishOptions& options, Current& current) {
    const image::Blob& manifest = built.image.manifest;
    std::optional<Tagged> released;
    for (const auto& tag : tags) {
        RCD_ASSIGN(current[tag], client.manifest_digest(repo, tag));
        if (!is_commit_tag(tag) || !current[tag] || options.force)
            continue;
        if (*current[tag] == manifest.digest) {
            if (tag == commit)
                released = Tagged{{manifest.media_type, manifest.digest, manifest.data}, commit};
            continue;
        }
        RCD_ASSIGN(auto tagged, read_tagged(client, repo, tag));
        if (tag == commit && tagged.revision == commit) {
            released = std::move(tagged);
            continue;
        }
        return fail(ExitCode::registry,
                    fmt::format("{}:{} already names {}, an image of {}", built.repository, tag,
                                *current[tag],
                                tagged.revision ? "commit " + *tagged.revision
                                                : std::string("unknown origin")),
                    "a commit's image is immutable; pass --force to replace it");
    }
    return released;
}

// The commit is released already: nothing is pushed, and only tags asked for by name follow
// the released image (the commit's and latest stay).
Status follow_release(registry::Client& client, const std::string& repo, const BuiltImage& built,
                      const std::string& commit, const Tagged& released,
                      const PublishOptions& options, Current& current,
                      report::ImageSummary& summary) {
    summary.status = "already-released";
    summary.digest = released.manifest.digest;
    summary.reference = built.repository + "@" + summary.digest;
    summary.build_digest = built.image.manifest.digest;
    if (summary.digest != built.image.manifest.digest)
        log::warn("this build is {}, not the released {}: the build is not reproducible across "
                  "these machines (toolchain, dependencies or paths differ)",
                  image::short_digest(built.image.manifest.digest),
                  image::short_digest(summary.digest));
    std::vector<std::string> named = {commit};
    for (const auto& tag : options.extra_tags) {
        if (tag == commit || tag == "latest")
            continue;
        if (current[tag] != summary.digest && !options.dry_run)
            RCD_CHECK(client.put_manifest(repo, tag, released.manifest.media_type,
                                          released.manifest.body));
        named.push_back(tag);
    }
    summary.tags = named;
    log::info("{} is already released: {}", commit.substr(0, 12), summary.reference);
    return {};
}

// Each distinct blob of the image once (an image may hold the same layer twice), config last.
std::vector<image::Descriptor> distinct_blobs(const image::Image& image) {
    std::vector<image::Descriptor> all;
    std::set<std::string> seen;
    for (const auto& layer : image.layers)
        if (seen.insert(layer.digest).second)
            all.push_back(layer);
    all.push_back({image.config.media_type, image.config.digest,
                   static_cast<std::int64_t>(image.config.data.size())});
    return all;
}

} // namespace

Result<Tagged> read_tagged(registry::Client& client, const std::string& repo,
                           const std::string& tag) {
    RCD_ASSIGN(auto manifest, client.get_manifest(repo, tag));
    Tagged tagged{manifest, std::nullopt};
    auto doc = nlohmann::json::parse(manifest.body, nullptr, false);
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("config") ||
        !doc["config"].is_object() || !doc["config"].contains("digest") ||
        !doc["config"]["digest"].is_string())
        return tagged; // an index, or not an image rcd can read: no revision
    RCD_ASSIGN(auto config_text, client.get_blob(repo, doc["config"]["digest"].get<std::string>()));
    auto config = nlohmann::json::parse(config_text, nullptr, false);
    if (!config.is_discarded() && config.contains("config") && config["config"].is_object() &&
        config["config"].contains("Labels") && config["config"]["Labels"].is_object()) {
        const auto& labels = config["config"]["Labels"];
        if (labels.contains(image::kRevisionLabel) && labels[image::kRevisionLabel].is_string())
            tagged.revision = labels[image::kRevisionLabel].get<std::string>();
    }
    return tagged;
}

Status push_image(const Project& project, const BuiltImage& built, const PublishOptions& options,
                  report::ImageSummary& summary) {
    const image::Image& image = built.image;
    RCD_ASSIGN(auto ref, registry::parse_reference(built.repository, false));
    RCD_ASSIGN(auto client, connect_registry(ref.registry, options));
    const std::string& repo = ref.repository;
    const std::string& commit = project.repo->commit;

    Current current;
    RCD_ASSIGN(auto released,
               check_commit_tags(*client, repo, built, commit, summary.tags, options, current));
    if (released)
        return follow_release(*client, repo, built, commit, *released, options, current, summary);

    auto all = distinct_blobs(image);
    RCD_ASSIGN(auto present, client->manifest_digest(repo, image.manifest.digest));
    if (present) {
        summary.blobs_skipped = static_cast<int>(all.size());
        log::info("{} is already in {}", image::short_digest(image.manifest.digest), ref.registry);
    } else {
        RCD_CHECK(push_blobs(*client, repo, built, all, options, summary));
        // Before the manifest: an SBOM that cannot be made leaves no image behind.
        if (built.attachments.valid())
            RCD_CHECK(built.attachments.get());
        if (!options.dry_run)
            RCD_CHECK(client->put_manifest(repo, image.manifest.digest, image.manifest.media_type,
                                           image.manifest.data));
    }
    // Before the tags: whoever a tag leads to the image finds its SBOM and provenance.
    if (built.attachments.valid() && !options.dry_run) {
        RCD_ASSIGN(auto attachments, built.attachments.get());
        RCD_CHECK(attach(*client, repo, image.manifest, attachments, summary));
    }
    // Tags last: a tag never names an image whose blobs are not all there.
    for (const auto& tag : summary.tags) {
        if (current[tag] == image.manifest.digest || options.dry_run)
            continue;
        RCD_CHECK(client->put_manifest(repo, tag, image.manifest.media_type, image.manifest.data));
    }
    summary.status = options.dry_run ? "dry-run" : "pushed";
    return {};
}

} // namespace rcd::ops
