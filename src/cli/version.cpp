#include "version.hpp"

#include "rcd/git/repository.hpp"
#include "rcd/ops/options.hpp"
#include "rcd/pipeline/catalog.hpp"
#include "rcd/util/log.hpp"

#include <CLI/Version.hpp>
#include <fmt/format.h>
#include <iostream>
#include <nlohmann/json.hpp>

namespace rcd::cli {

std::vector<std::pair<std::string, std::string>> library_versions() {
    return {
        {"CLI11", CLI11_VERSION},
        {"yaml-cpp", pipeline::yaml_library_version()},
        {"libgit2", git::library_version()},
        {"fmt",
         fmt::format("{}.{}.{}", FMT_VERSION / 10000, FMT_VERSION / 100 % 100, FMT_VERSION % 100)},
        {"spdlog", log::library_version()},
        {"nlohmann_json", fmt::format("{}.{}.{}", NLOHMANN_JSON_VERSION_MAJOR,
                                      NLOHMANN_JSON_VERSION_MINOR, NLOHMANN_JSON_VERSION_PATCH)},
    };
}

int version_command(const ops::Invocation& global) {
    auto libraries = library_versions();
    if (global.json) {
        auto doc = report::json_header("version", "", global.absolute_dir());
        doc.update({{"ok", true},
                    {"exit_code", 0},
                    {"version", report::rcd_version()},
                    {"libraries", nlohmann::json::object()}});
        for (const auto& [name, version] : libraries)
            doc["libraries"][name] = version;
        ops::print_json(doc);
        return 0;
    }
    std::cout << "rcd " << report::rcd_version() << "\n";
    for (const auto& [name, version] : libraries)
        std::cout << fmt::format("  {:<14} {}\n", name, version);
    return 0;
}

} // namespace rcd::cli
