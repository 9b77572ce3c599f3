// OCI image data: descriptors, config and manifest, as pure functions of their inputs.
#pragma once

#include "rcd/util/result.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rcd::image {

// The label that names the commit an image was built from (rcd reads it back to tell a released
// commit from another).
inline constexpr const char* kRevisionLabel = "org.opencontainers.image.revision";

// "sha256:" and the first 12 hex digits: how rcd names a blob in messages.
inline std::string short_digest(const std::string& digest) {
    return digest.substr(0, 7 + 12);
}

inline constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr const char* kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr const char* kOciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr const char* kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr const char* kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";

struct Platform {
    std::string os = "linux";
    std::string architecture = "amd64";
    std::string variant;

    bool operator==(const Platform&) const = default;
};

// x86_64-unknown-linux-gnu -> linux/amd64, aarch64-unknown-linux-musl -> linux/arm64, ...
Result<Platform> platform_from_triple(std::string_view triple);

// Content-addressed bytes: a layer, a config or a manifest.
struct Blob {
    std::string media_type;
    std::string digest; // "sha256:<hex>"
    std::string data;

    static Blob of(std::string media_type, std::string data);
};

struct Descriptor {
    std::string media_type;
    std::string digest;
    std::int64_t size = 0;
};

struct ConfigSpec {
    Platform platform;
    std::vector<std::string> entrypoint;
    std::vector<std::string> cmd;
    std::vector<std::string> env; // "KEY=value", in order
    std::string workdir;
    std::optional<std::string> user;
    std::vector<std::string> exposed_ports; // "8080/tcp"
    std::map<std::string, std::string> labels;
    std::int64_t created = 0;          // seconds since the epoch
    std::vector<std::string> diff_ids; // every layer, base layers first
    std::vector<std::string> history;  // created_by of each layer
};

std::string rfc3339(std::int64_t seconds);
std::string config_json(const ConfigSpec& spec);
std::string manifest_json(const Descriptor& config, const std::vector<Descriptor>& layers);

} // namespace rcd::image
