#include "rcd/image/base.hpp"

#include "rcd/util/hash.hpp"
#include "rcd/util/strings.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace rcd::image {

namespace {

Error unreadable(const std::string& reference, const std::string& what) {
    return Error{ExitCode::registry, fmt::format("base image {}: {}", reference, what),
                 "check the base image reference"};
}

// A descriptor whose digest may name a URL or a file, and whose size is not negative.
Result<Descriptor> descriptor(const nlohmann::json& doc, const std::string& reference) {
    if (!doc.is_object() || !doc.contains("digest") || !doc["digest"].is_string() ||
        !doc.contains("size") || !doc["size"].is_number_integer())
        return std::unexpected(unreadable(reference, "a descriptor has no digest or size"));
    std::string digest = doc["digest"].get<std::string>();
    auto size = doc["size"].get<std::int64_t>();
    if (!util::is_sha256_digest(digest) || size < 0)
        return std::unexpected(
            unreadable(reference, fmt::format("a descriptor names '{}', not a digest",
                                              util::printable(digest, 80))));
    std::string media_type = doc.contains("mediaType") && doc["mediaType"].is_string()
                                 ? doc["mediaType"].get<std::string>()
                                 : "";
    return Descriptor{media_type, digest, size};
}

std::string text(const nlohmann::json& doc, const char* key) {
    return doc.is_object() && doc.contains(key) && doc[key].is_string()
               ? doc[key].get<std::string>()
               : "";
}

} // namespace

Result<ManifestKind> manifest_kind(const std::string& media_type, const std::string& body,
                                   const std::string& reference) {
    if (media_type == kOciIndex || media_type == kDockerManifestList)
        return ManifestKind::index;
    if (media_type == kOciManifest || media_type == kDockerManifest)
        return ManifestKind::image;
    if (media_type.empty() || media_type == "application/json") {
        auto doc = nlohmann::json::parse(body, nullptr, false);
        if (doc.is_object() && doc.contains("manifests"))
            return ManifestKind::index;
        if (doc.is_object() && doc.contains("layers") && doc.contains("config"))
            return ManifestKind::image;
    }
    return fail(ExitCode::registry,
                fmt::format("base image {}: its manifest is a '{}', not an image or an index",
                            reference, util::printable(media_type, 80)),
                "use an image in the OCI or Docker v2 format (Docker's schema 1 is not read)");
}

Result<std::string> select_platform(const std::string& index_body, const Platform& platform,
                                    const std::string& reference) {
    auto doc = nlohmann::json::parse(index_body, nullptr, false);
    if (!doc.is_object() || !doc.contains("manifests") || !doc["manifests"].is_array())
        return std::unexpected(unreadable(reference, "its index lists no manifests"));
    for (const auto& m : doc["manifests"]) {
        const auto p = m.is_object() && m.contains("platform") ? m["platform"] : nlohmann::json{};
        if (text(p, "os") != platform.os || text(p, "architecture") != platform.architecture)
            continue;
        const std::string variant = text(p, "variant");
        if (!platform.variant.empty() && !variant.empty() && variant != platform.variant)
            continue;
        RCD_ASSIGN(auto chosen, descriptor(m, reference));
        return chosen.digest;
    }
    return fail(ExitCode::registry,
                fmt::format("base image {} has no {}/{} image", reference, platform.os,
                            platform.architecture),
                "choose a base image built for that platform");
}

Result<ImageManifest> parse_image_manifest(const std::string& body, const std::string& reference) {
    auto doc = nlohmann::json::parse(body, nullptr, false);
    if (!doc.is_object() || !doc.contains("layers") || !doc["layers"].is_array() ||
        !doc.contains("config"))
        return std::unexpected(unreadable(reference, "its manifest has no layers or config"));
    ImageManifest manifest;
    for (const auto& layer : doc["layers"]) {
        RCD_ASSIGN(auto d, descriptor(layer, reference));
        manifest.layers.push_back(std::move(d));
    }
    RCD_ASSIGN(manifest.config, descriptor(doc["config"], reference));
    return manifest;
}

Status read_base_config(const std::string& config_body, BaseImage& base) {
    auto config = nlohmann::json::parse(config_body, nullptr, false);
    const auto rootfs =
        config.is_object() && config.contains("rootfs") ? config["rootfs"] : nlohmann::json{};
    if (!rootfs.is_object() || !rootfs.contains("diff_ids") || !rootfs["diff_ids"].is_array())
        return std::unexpected(unreadable(base.reference, "its config has no rootfs.diff_ids"));
    base.diff_ids.clear();
    for (const auto& id : rootfs["diff_ids"]) {
        if (!id.is_string() || !util::is_sha256_digest(id.get<std::string>()))
            return std::unexpected(unreadable(base.reference, "its config names a bad diff id"));
        base.diff_ids.push_back(id.get<std::string>());
    }
    if (base.diff_ids.size() != base.layers.size())
        return std::unexpected(
            unreadable(base.reference, fmt::format("its config names {} layers, its manifest {}",
                                                   base.diff_ids.size(), base.layers.size())));
    base.env.clear();
    if (config.contains("config") && config["config"].is_object() &&
        config["config"].contains("Env") && config["config"]["Env"].is_array())
        for (const auto& e : config["config"]["Env"])
            if (e.is_string())
                base.env.push_back(e.get<std::string>());
    base.history.clear();
    if (config.contains("history") && config["history"].is_array())
        for (const auto& h : config["history"])
            if (h.is_object() && !(h.contains("empty_layer") && h["empty_layer"].is_boolean() &&
                                   h["empty_layer"].get<bool>()))
                base.history.push_back(text(h, "created_by"));
    return {};
}

} // namespace rcd::image
