#include "version.hpp"

#include "rcd/git/repository.hpp"
#include "rcd/pipeline/catalog.hpp"

#include <CLI/Version.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace rcd::cli {

std::vector<std::pair<std::string, std::string>> library_versions() {
    return {
        {"CLI11", CLI11_VERSION},
        {"yaml-cpp", pipeline::yaml_library_version()},
        {"libgit2", git::library_version()},
        {"fmt",
         fmt::format("{}.{}.{}", FMT_VERSION / 10000, FMT_VERSION / 100 % 100, FMT_VERSION % 100)},
        {"nlohmann_json", fmt::format("{}.{}.{}", NLOHMANN_JSON_VERSION_MAJOR,
                                      NLOHMANN_JSON_VERSION_MINOR, NLOHMANN_JSON_VERSION_PATCH)},
    };
}

} // namespace rcd::cli
