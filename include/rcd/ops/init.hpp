// `rcd init`: a minimal rcd.yaml for the repository in front of it.
#pragma once

#include "rcd/ops/startable.hpp"
#include "rcd/util/result.hpp"

#include <filesystem>
#include <optional>
#include <string>

namespace rcd::ops {

struct InitOptions {
    std::filesystem::path dir = ".";
    std::optional<std::filesystem::path> pipelines_dir;
    std::optional<std::string> registry; // --registry
};

struct InitResult {
    std::filesystem::path file;
    std::string name;
    std::string language;
    std::string text; // what was written
    // The image would start from scratch: what stops a dynamically linked binary there.
    std::optional<StartCheck> advice;
};

// Detects the language from the pipelines' `detect:` files, takes the name from the package
// (or the one binary of a workspace), and writes rcd.yaml. Never overwrites one (exit 2).
Result<InitResult> init_config(const InitOptions& options);

} // namespace rcd::ops
