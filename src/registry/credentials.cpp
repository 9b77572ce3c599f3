#include "rcd/registry/credentials.hpp"

#include "rcd/exec/process.hpp"
#include "rcd/util/fs.hpp"
#include "rcd/util/log.hpp"

#include <cstdlib>
#include <fmt/format.h>
#include <openssl/evp.h>

namespace rcd::registry {

namespace {

std::optional<std::string> base64_decode(const std::string& text) {
    std::string out(text.size() / 4 * 3 + 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(text.data()),
                            static_cast<int>(text.size()));
    if (n < 0)
        return std::nullopt;
    std::size_t padding = 0;
    for (auto it = text.rbegin(); it != text.rend() && *it == '='; ++it)
        ++padding;
    out.resize(static_cast<std::size_t>(n) - padding);
    return out;
}

// "https://index.docker.io/v1/" -> "docker.io"; "http://host:5000/x" -> "host:5000".
std::string normalise_server(std::string server) {
    if (auto scheme = server.find("://"); scheme != std::string::npos)
        server = server.substr(scheme + 3);
    server = server.substr(0, server.find('/'));
    if (server == "index.docker.io" || server == "registry-1.docker.io")
        return "docker.io";
    return server;
}

Result<std::optional<Credentials>> from_helper(const std::string& helper,
                                               const std::string& registry,
                                               const HelperRunner& run_helper) {
    std::string server = registry == "docker.io" ? "https://index.docker.io/v1/" : registry;
    auto output = run_helper(helper, server);
    if (!output)
        return std::unexpected(output.error());
    try {
        auto doc = nlohmann::json::parse(*output);
        Credentials c{doc.at("Username"), doc.at("Secret"),
                      fmt::format("docker-credential-{}", helper)};
        return c;
    } catch (const nlohmann::json::exception&) {
        return fail(
            ExitCode::registry,
            fmt::format("docker-credential-{} gave no credentials for {}", helper, registry),
            fmt::format("log in to {} with that helper, or remove it from config.json", registry));
    }
}

} // namespace

Result<std::optional<Credentials>> credentials_from_config(const nlohmann::json& config,
                                                           const std::string& registry,
                                                           const HelperRunner& run_helper) {
    if (config.contains("credHelpers") && config["credHelpers"].is_object())
        for (const auto& [server, helper] : config["credHelpers"].items())
            if (normalise_server(server) == registry && helper.is_string())
                return from_helper(helper.get<std::string>(), registry, run_helper);

    if (config.contains("auths") && config["auths"].is_object()) {
        for (const auto& [server, entry] : config["auths"].items()) {
            if (normalise_server(server) != registry || !entry.is_object())
                continue;
            if (entry.contains("identitytoken") && entry["identitytoken"].is_string())
                return Credentials{"<token>", entry["identitytoken"], "config.json"};
            if (entry.contains("auth") && entry["auth"].is_string()) {
                auto decoded = base64_decode(entry["auth"].get<std::string>());
                auto colon = decoded ? decoded->find(':') : std::string::npos;
                if (colon == std::string::npos)
                    return fail(ExitCode::registry,
                                fmt::format("config.json: the auth entry for {} is not "
                                            "base64 of user:password",
                                            registry),
                                fmt::format("log in again: docker login {}", registry));
                return Credentials{decoded->substr(0, colon), decoded->substr(colon + 1),
                                   "config.json"};
            }
            if (entry.contains("username") && entry["username"].is_string() &&
                entry.contains("password") && entry["password"].is_string())
                return Credentials{entry["username"], entry["password"], "config.json"};
        }
    }
    if (config.contains("credsStore") && config["credsStore"].is_string())
        return from_helper(config["credsStore"].get<std::string>(), registry, run_helper);
    return std::optional<Credentials>{};
}

std::vector<std::filesystem::path> credential_files() {
    auto env = [](const char* name) -> std::optional<std::filesystem::path> {
        const char* value = std::getenv(name);
        if (value && *value)
            return std::filesystem::path(value);
        return std::nullopt;
    };
    std::vector<std::filesystem::path> files;
    // The containers' auth files, as podman, skopeo and buildah write them.
    if (auto file = env("REGISTRY_AUTH_FILE"))
        files.push_back(*file);
    if (auto runtime = env("XDG_RUNTIME_DIR"))
        files.push_back(*runtime / "containers" / "auth.json");
    if (auto config = env("XDG_CONFIG_HOME"))
        files.push_back(*config / "containers" / "auth.json");
    else if (auto home = env("HOME"))
        files.push_back(*home / ".config" / "containers" / "auth.json");
    // Then docker's.
    if (auto dir = env("DOCKER_CONFIG"))
        files.push_back(*dir / "config.json");
    else if (auto home = env("HOME"))
        files.push_back(*home / ".docker" / "config.json");
    return files;
}

namespace {

Result<std::optional<Credentials>> look_up(const std::string& registry) {
    HelperRunner run = [](const std::string& helper,
                          const std::string& server) -> Result<std::string> {
        exec::Command command{{"docker-credential-" + helper, "get"}, {}, {}, server + "\n"};
        auto out = exec::capture(command);
        if (!out || out->exit_code != 0)
            return fail(ExitCode::registry,
                        fmt::format("docker-credential-{} get failed for {}", helper, server),
                        "check that the helper is installed and you are logged in");
        return out->output;
    };
    for (const auto& file : credential_files()) {
        std::error_code ec;
        if (!std::filesystem::is_regular_file(file, ec))
            continue;
        RCD_ASSIGN(auto text, util::read_file(file));
        auto config = nlohmann::json::parse(text, nullptr, false);
        if (config.is_discarded() || !config.is_object())
            return fail(ExitCode::registry, fmt::format("{} is not valid JSON", file.string()),
                        "fix or remove it");
        auto found = credentials_from_config(config, registry, run);
        if (!found)
            return std::unexpected(found.error().with_context(file.string()));
        if (*found) {
            if (file.filename() == "auth.json")
                (*found)->source = "containers auth file " + file.string();
            return found;
        }
    }
    const char* user = std::getenv("RCD_REGISTRY_USERNAME");
    const char* password = std::getenv("RCD_REGISTRY_PASSWORD");
    if (user && *user && password)
        return Credentials{user, password, "RCD_REGISTRY_USERNAME"};
    return std::optional<Credentials>{};
}

} // namespace

Result<std::optional<Credentials>> find_credentials(const std::string& registry) {
    auto found = look_up(registry);
    if (found && *found) {
        // From here on, no log line can carry the secret.
        log::add_secret((*found)->secret);
        log::debug("registry {}: credentials of '{}' from {}", registry, (*found)->username,
                   (*found)->source);
    }
    return found;
}

} // namespace rcd::registry
