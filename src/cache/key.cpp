#include "rcd/cache/key.hpp"

#include "rcd/util/hash.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace rcd::cache {

std::map<std::string, std::string>
output_environment(const std::map<std::string, std::string>& env) {
    static const std::vector<std::string> exact = {"RUSTFLAGS",    "CARGO_ENCODED_RUSTFLAGS",
                                                   "RUSTDOCFLAGS", "CARGO_ENCODED_RUSTDOCFLAGS",
                                                   "CC",           "CXX",
                                                   "CFLAGS",       "CXXFLAGS",
                                                   "LDFLAGS",      "AR",
                                                   "CPPFLAGS",     "CARGO_INCREMENTAL",
                                                   "RUSTC",        "RUSTC_BOOTSTRAP"};
    static const std::vector<std::string> prefixes = {
        "CARGO_PROFILE_", "CARGO_BUILD_", "CARGO_TARGET_", "CC_",
        "CXX_",           "CFLAGS_",      "CXXFLAGS_",     "AR_"};
    std::map<std::string, std::string> out;
    for (const auto& [key, value] : env) {
        bool keep = std::find(exact.begin(), exact.end(), key) != exact.end();
        for (const auto& prefix : prefixes)
            keep = keep || key.starts_with(prefix);
        // Where the target directory is does not change what is compiled into it.
        if (keep && key != "CARGO_TARGET_DIR" && key != "CARGO_BUILD_TARGET_DIR")
            out[key] = value;
    }
    return out;
}

std::string cache_key(const KeyInput& input) {
    std::string text = fmt::format("rcd-cache-key 2\nrecipe {}\ntriple {}\nprofile {}\n",
                                   input.recipe_hash, input.target_triple, input.profile);
    text += "rustc\n" + input.rustc_version + "\ncargo\n" + input.cargo_version + "\n";
    for (const auto& command : input.commands) {
        text += "args\n";
        for (const auto& arg : command.argv)
            text += arg + "\n";
        text += "env\n";
        for (const auto& [key, value] : output_environment(command.env))
            text += key + "=" + value + "\n";
    }
    return util::sha256_hex(text);
}

std::vector<std::string> cook_command(const std::vector<std::string>& stage_argv) {
    std::vector<std::string> out;
    for (const auto& arg : stage_argv) {
        if (arg == "--")
            break;
        if (!arg.starts_with("--message-format")) // how cargo reports, not what it builds
            out.push_back(arg);
    }
    // cargo [+toolchain] test ...
    auto subcommand = std::find_if(out.begin() + (out.empty() ? 0 : 1), out.end(),
                                   [](const std::string& arg) { return !arg.starts_with("+"); });
    const bool test = subcommand != out.end() && *subcommand == "test";
    if (test && std::find(out.begin(), out.end(), "--no-run") == out.end()) {
        std::erase(out, std::string("--doc"));
        out.push_back("--no-run");
    }
    return out;
}

} // namespace rcd::cache
