// Which credentials rcd uses for a registry: docker's config.json, then the environment.
#pragma once

#include "rcd/util/result.hpp"

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace rcd::registry {

struct Credentials {
    std::string username;
    std::string secret; // a password, or an identity token when username is "<token>"
    std::string source; // where they came from, for messages; never the secret
};

// Runs `docker-credential-<helper> get` with the registry on stdin; returns its JSON output.
using HelperRunner =
    std::function<Result<std::string>(const std::string& helper, const std::string& server)>;

// From a parsed config.json: credHelpers[registry], then auths[registry], then credsStore.
Result<std::optional<Credentials>> credentials_from_config(const nlohmann::json& config,
                                                           const std::string& registry,
                                                           const HelperRunner& run_helper);

// The files credentials come from, in order: $REGISTRY_AUTH_FILE,
// $XDG_RUNTIME_DIR/containers/auth.json, $XDG_CONFIG_HOME (or ~/.config)/containers/auth.json,
// then $DOCKER_CONFIG/config.json or ~/.docker/config.json.
std::vector<std::filesystem::path> credential_files();

// The first of credential_files() with an entry for `registry`, then RCD_REGISTRY_USERNAME and
// RCD_REGISTRY_PASSWORD.
Result<std::optional<Credentials>> find_credentials(const std::string& registry);

} // namespace rcd::registry
