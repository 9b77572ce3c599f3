#include "rcd/image/layout.hpp"

#include "rcd/util/fs.hpp"
#include "rcd/util/tar.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace rcd::image {

namespace {
std::string hex_of(const std::string& digest) {
    return digest.substr(digest.find(':') + 1);
}

const Blob* find_blob(const std::string& digest, const Image& image,
                      const std::vector<Blob>& extra) {
    for (const auto& b : image.own_layers)
        if (b.digest == digest)
            return &b;
    for (const auto& b : extra)
        if (b.digest == digest)
            return &b;
    return nullptr;
}

Status missing_layer(const std::string& digest) {
    return fail(ExitCode::filesystem, fmt::format("the image's layer {} is not at hand", digest),
                "this is a bug in rcd; please report it");
}
} // namespace

Status write_oci_layout(const std::filesystem::path& dir, const Image& image,
                        const std::vector<std::string>& tags,
                        const std::vector<Blob>& extra_blobs) {
    auto write_blob = [&](const Blob& blob) {
        return util::write_file_atomic(dir / "blobs" / "sha256" / hex_of(blob.digest), blob.data);
    };
    for (const auto& layer : image.layers) {
        const Blob* blob = find_blob(layer.digest, image, extra_blobs);
        if (!blob)
            return missing_layer(layer.digest);
        RCD_CHECK(write_blob(*blob));
    }
    RCD_CHECK(write_blob(image.config));
    RCD_CHECK(write_blob(image.manifest));
    RCD_CHECK(util::write_file_atomic(dir / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})"));

    nlohmann::json index = {
        {"schemaVersion", 2}, {"mediaType", kOciIndex}, {"manifests", nlohmann::json::array()}};
    for (const auto& tag : tags)
        index["manifests"].push_back(
            {{"mediaType", kOciManifest},
             {"digest", image.manifest.digest},
             {"size", image.manifest.data.size()},
             {"annotations", {{"org.opencontainers.image.ref.name", tag}}}});
    return util::write_file_atomic(dir / "index.json", index.dump(2) + "\n");
}

Status write_docker_archive(const std::filesystem::path& file, const Image& image,
                            const std::vector<std::string>& repo_tags,
                            const std::vector<Blob>& extra_blobs) {
    std::vector<util::TarEntry> entries;
    std::string config_name = hex_of(image.config.digest) + ".json";
    entries.push_back({config_name, util::TarEntry::Type::file, 0644, image.config.data, {}});
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& layer : image.layers) {
        const Blob* blob = find_blob(layer.digest, image, extra_blobs);
        if (!blob)
            return missing_layer(layer.digest);
        // docker load and podman load detect the compression of each layer file.
        std::string name = hex_of(layer.digest) + "/layer.tar";
        entries.push_back(
            {hex_of(layer.digest) + "/", util::TarEntry::Type::directory, 0755, {}, {}});
        entries.push_back({name, util::TarEntry::Type::file, 0644, blob->data, {}});
        layers.push_back(name);
    }
    nlohmann::json manifest = nlohmann::json::array();
    manifest.push_back({{"Config", config_name}, {"RepoTags", repo_tags}, {"Layers", layers}});
    const std::string manifest_text = manifest.dump();
    entries.push_back({"manifest.json", util::TarEntry::Type::file, 0644, manifest_text, {}});
    RCD_ASSIGN(auto tar, util::write_tar(entries, 0));
    return util::write_file_atomic(file, tar);
}

} // namespace rcd::image
