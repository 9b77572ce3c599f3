#include "rcd/image/oci.hpp"

#include "rcd/util/hash.hpp"

#include <ctime>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace rcd::image {

Result<Platform> platform_from_triple(std::string_view triple) {
    std::string arch(triple.substr(0, triple.find('-')));
    static const std::map<std::string, std::pair<std::string, std::string>> arches = {
        {"x86_64", {"amd64", ""}},
        {"aarch64", {"arm64", ""}},
        {"armv7", {"arm", "v7"}},
        {"arm", {"arm", "v6"}},
        {"i686", {"386", ""}},
        {"i586", {"386", ""}},
        {"powerpc64le", {"ppc64le", ""}},
        {"s390x", {"s390x", ""}},
        {"riscv64gc", {"riscv64", ""}},
    };
    auto it = arches.find(arch);
    if (it == arches.end() || triple.find("linux") == std::string_view::npos)
        return fail(ExitCode::usage,
                    fmt::format("no container platform for the target '{}'", triple),
                    "build for a Linux target, such as x86_64-unknown-linux-gnu");
    return Platform{"linux", it->second.first, it->second.second};
}

Blob Blob::of(std::string media_type, std::string data) {
    std::string digest = util::sha256_digest(data);
    return Blob{std::move(media_type), std::move(digest), std::move(data)};
}

std::string rfc3339(std::int64_t seconds) {
    std::time_t t = static_cast<std::time_t>(seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buffer;
}

std::string config_json(const ConfigSpec& spec) {
    nlohmann::json config = nlohmann::json::object();
    if (!spec.entrypoint.empty())
        config["Entrypoint"] = spec.entrypoint;
    if (!spec.cmd.empty())
        config["Cmd"] = spec.cmd;
    config["Env"] = spec.env;
    if (!spec.workdir.empty())
        config["WorkingDir"] = spec.workdir;
    if (spec.user)
        config["User"] = *spec.user;
    if (!spec.exposed_ports.empty()) {
        config["ExposedPorts"] = nlohmann::json::object();
        for (const auto& port : spec.exposed_ports)
            config["ExposedPorts"][port] = nlohmann::json::object();
    }
    if (!spec.labels.empty())
        config["Labels"] = spec.labels;

    nlohmann::json history = nlohmann::json::array();
    for (const auto& created_by : spec.history)
        history.push_back({{"created", rfc3339(spec.created)}, {"created_by", created_by}});

    nlohmann::json doc = {
        {"architecture", spec.platform.architecture},
        {"os", spec.platform.os},
        {"created", rfc3339(spec.created)},
        {"config", config},
        {"rootfs", {{"type", "layers"}, {"diff_ids", spec.diff_ids}}},
        {"history", history},
    };
    if (!spec.platform.variant.empty())
        doc["variant"] = spec.platform.variant;
    return doc.dump(); // nlohmann sorts keys: the same spec always gives the same bytes
}

std::string manifest_json(const Descriptor& config, const std::vector<Descriptor>& layers) {
    auto descriptor = [](const Descriptor& d) {
        return nlohmann::json{{"mediaType", d.media_type}, {"digest", d.digest}, {"size", d.size}};
    };
    nlohmann::json doc = {{"schemaVersion", 2},
                          {"mediaType", kOciManifest},
                          {"config", descriptor(config)},
                          {"layers", nlohmann::json::array()}};
    for (const auto& layer : layers)
        doc["layers"].push_back(descriptor(layer));
    return doc.dump();
}

} // namespace rcd::image
