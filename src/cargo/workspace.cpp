#include "rcd/cargo/workspace.hpp"

#include "rcd/exec/process.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <fmt/std.h>
#include <nlohmann/json.hpp>

namespace rcd::cargo {

bool Target::has_kind(std::string_view k) const {
    return std::find(kind.begin(), kind.end(), k) != kind.end();
}

bool Target::is_library() const {
    for (const char* k : {"lib", "rlib", "dylib", "proc-macro", "staticlib", "cdylib"})
        if (has_kind(k))
            return true;
    return false;
}

bool Workspace::has_library() const {
    for (const auto& package : members)
        for (const auto& target : package.targets)
            if (target.is_library())
                return true;
    return false;
}

bool Workspace::has_benches() const {
    for (const auto& package : members)
        for (const auto& target : package.targets)
            if (target.has_kind("bench"))
                return true;
    return false;
}

Result<Workspace> parse_metadata(std::string_view json) {
    try {
        auto doc = nlohmann::json::parse(json);
        Workspace ws;
        ws.root = doc.at("workspace_root").get<std::string>();
        ws.target_directory = doc.at("target_directory").get<std::string>();
        std::vector<std::string> member_ids = doc.at("workspace_members");
        for (const auto& p : doc.at("packages")) {
            if (std::find(member_ids.begin(), member_ids.end(), p.at("id").get<std::string>()) ==
                member_ids.end())
                continue;
            Package package;
            package.name = p.at("name");
            package.version = p.at("version");
            package.manifest_path = p.at("manifest_path").get<std::string>();
            for (const auto& t : p.at("targets"))
                package.targets.push_back(
                    Target{t.at("name"), t.at("kind"), t.at("src_path").get<std::string>()});
            ws.members.push_back(std::move(package));
        }
        return ws;
    } catch (const nlohmann::json::exception& e) {
        return fail(ExitCode::usage, fmt::format("cannot read cargo metadata: {}", e.what()),
                    "check that 'cargo metadata --no-deps --format-version 1' works here");
    }
}

Result<Toolchain> Workspace::toolchain() const {
    return probed.valid() ? probed.get() : probe_toolchain(root);
}

Result<std::string> run_metadata(const std::filesystem::path& dir,
                                 const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"cargo", "metadata", "--format-version", "1", "--quiet"};
    argv.insert(argv.end(), args.begin(), args.end());
    exec::Command command{argv, {{"CARGO_TERM_COLOR", "never"}}, dir, std::nullopt};
    auto captured = exec::capture(command);
    if (!captured)
        return std::unexpected(captured.error().with_context("cargo metadata"));
    if (captured->exit_code != 0) {
        std::string output = captured->output;
        while (!output.empty() && output.back() == '\n')
            output.pop_back();
        return fail(ExitCode::usage, fmt::format("cargo metadata failed in {}:\n{}", dir, output),
                    "fix Cargo.toml so that 'cargo metadata' succeeds");
    }
    // Warnings go to stderr, which capture() merges in; the document is the last line.
    std::string& out = captured->output;
    auto start = out.rfind("\n{");
    return start == std::string::npos ? std::move(out) : out.substr(start + 1);
}

Result<Workspace> read_workspace(const std::filesystem::path& dir) {
    auto probed = std::async(std::launch::async, probe_toolchain, dir).share();
    RCD_ASSIGN(auto document, run_metadata(dir, {"--no-deps"}));
    RCD_ASSIGN(auto workspace, parse_metadata(document));
    workspace.probed = std::move(probed);
    return workspace;
}

} // namespace rcd::cargo
