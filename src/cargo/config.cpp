#include "rcd/cargo/config.hpp"

#include "rcd/util/fs.hpp"
#include "rcd/util/strings.hpp"

#include <algorithm>
#include <toml++/toml.h>

namespace rcd::cargo {

namespace {

// The config files cargo reads from `dir`, the most specific first.
std::vector<std::filesystem::path> config_files(const std::filesystem::path& dir,
                                                const std::optional<std::string>& cargo_home) {
    std::vector<std::filesystem::path> out;
    std::error_code ec;
    auto at = std::filesystem::absolute(dir, ec).lexically_normal();
    for (;;) {
        for (const char* name : {"config.toml", "config"})
            if (std::filesystem::is_regular_file(at / ".cargo" / name, ec)) {
                out.push_back(at / ".cargo" / name);
                break;
            }
        if (at == at.root_path() || at.empty())
            break;
        at = at.parent_path();
    }
    if (cargo_home)
        for (const char* name : {"config.toml", "config"})
            if (auto file = std::filesystem::path(*cargo_home) / name;
                std::filesystem::is_regular_file(file, ec) &&
                std::find(out.begin(), out.end(), file) == out.end()) {
                out.push_back(file);
                break;
            }
    return out;
}

bool has_crt_static(const std::string& flags) {
    return flags.find("+crt-static") != std::string::npos;
}

// rustflags as a string ("-C target-feature=+crt-static") or a list, joined.
std::optional<std::string> flags_of(const toml::node* node) {
    if (!node)
        return std::nullopt;
    if (auto text = node->value<std::string>())
        return *text;
    if (auto list = node->as_array()) {
        std::string out;
        for (const auto& item : *list)
            if (auto text = item.value<std::string>())
                out += *text + " ";
        return out;
    }
    return std::nullopt;
}

} // namespace

std::optional<bool> links_statically(const std::filesystem::path& dir, const std::string& host,
                                     const std::map<std::string, std::string>& env) {
    auto get = [&](const std::string& name) -> std::optional<std::string> {
        auto it = env.find(name);
        return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    std::optional<std::string> target = get("CARGO_BUILD_TARGET");
    std::optional<std::string> flags = get("CARGO_ENCODED_RUSTFLAGS");
    if (!flags)
        flags = get("RUSTFLAGS");

    std::optional<std::string> home = get("CARGO_HOME");
    if (!home)
        if (auto user = get("HOME"))
            home = *user + "/.cargo";
    std::optional<std::string> build_flags;
    bool unknowable = false;
    std::string triple = host;
    std::vector<toml::table> tables;
    for (const auto& file : config_files(dir, home)) {
        auto text = util::read_file(file);
        if (!text)
            continue;
        try {
            tables.push_back(toml::parse(*text, file.string()));
        } catch (const toml::parse_error&) {
            continue; // cargo itself will say what is wrong with it
        }
    }
    for (const auto& table : tables)
        if (!target)
            if (auto t = table["build"]["target"].value<std::string>())
                target = *t;
    if (target)
        triple = *target;
    if (!flags) {
        std::string env_name = "CARGO_TARGET_" + triple + "_RUSTFLAGS";
        for (auto& c : env_name)
            c = c == '-' || c == '.' ? '_' : static_cast<char>(std::toupper(c));
        flags = get(env_name);
    }
    for (const auto& table : tables) {
        if (flags)
            break;
        flags = flags_of(table["target"][triple]["rustflags"].node());
        if (auto targets = table["target"].as_table())
            for (const auto& [key, value] : *targets)
                if (key.str().starts_with("cfg(") && value.is_table() &&
                    flags_of(value.as_table()->get("rustflags")))
                    unknowable = true;
        if (!build_flags)
            build_flags = flags_of(table["build"]["rustflags"].node());
    }
    if (!flags)
        flags = build_flags;
    if (flags && has_crt_static(*flags))
        return true;
    // musl links statically unless told otherwise.
    if (util::split(triple, '-').back().starts_with("musl"))
        return !flags || flags->find("-crt-static") == std::string::npos;
    if (unknowable)
        return std::nullopt;
    return false;
}

} // namespace rcd::cargo
