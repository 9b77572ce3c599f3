// Where an image goes besides a registry: an OCI layout directory or a docker-archive tarball.
#pragma once

#include "rcd/image/assemble.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace rcd::image {

// `oci:DIR`: blobs/sha256/*, index.json (one entry per tag, as ref.name), oci-layout.
// Base layers must be given in `extra_blobs`.
Status write_oci_layout(const std::filesystem::path& dir, const Image& image,
                        const std::vector<std::string>& tags, const std::vector<Blob>& extra_blobs);

// `docker-archive:FILE.tar`, as `docker save` writes it, for docker load and podman load.
Status write_docker_archive(const std::filesystem::path& file, const Image& image,
                            const std::vector<std::string>& repo_tags,
                            const std::vector<Blob>& extra_blobs);

} // namespace rcd::image
