// Whether the binary can start in its image: its ELF interpreter and the libraries it needs
// must be in the image's file system. A dynamically linked binary on `scratch` cannot start.
#pragma once

#include "rcd/image/assemble.hpp"
#include "rcd/image/filesystem.hpp"
#include "rcd/ops/project.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace rcd::ops {

struct PulledBase;
struct PublishOptions;

// Exit 2 naming each missing file, with the two ways out (a base image with the C library, or
// a static build), when `binary` cannot start at the entrypoint's path in the image `spec`
// describes: the base's file system (`base`, or nothing for scratch), then the image's own
// layers, with the image's environment (LD_LIBRARY_PATH). The base's layers are listed once
// per digest and the lists kept in the local cache (`layers/<hex>.json`): a layer's digest
// names its content for good.
Status check_image_starts(const image::ExecutableInfo& binary, const image::ImageSpec& spec,
                          const PulledBase* base, const std::string& base_name);

// The release binary the target directory holds from the last build, if any.
std::optional<std::filesystem::path> last_built_binary(const Project& project);

// What init and doctor say before a release, as a doctor check does.
struct StartCheck {
    bool ok = true;
    std::string detail;
    std::string hint;
};

// doctor: the last built binary against the configured base (whose file lists are read as a
// release reads them), or, before any build, cargo's configuration against a scratch base.
StartCheck check_image_start(const Project& project, const PublishOptions& options);

// init: a Rust repository without rcd.yaml gets a scratch base; nothing to say when cargo's
// configuration links the binary statically.
std::optional<StartCheck> predict_scratch_start(const std::filesystem::path& dir);

} // namespace rcd::ops
