#include "rcd/cargo/dependencies.hpp"

#include "rcd/cargo/workspace.hpp"
#include "rcd/util/fs.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <fmt/std.h>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <toml++/toml.h>

namespace rcd::cargo {

namespace {

// (name, version, source) -> checksum, from Cargo.lock's [[package]] entries.
using Checksums = std::map<std::tuple<std::string, std::string, std::string>, std::string>;

Result<Checksums> lockfile_checksums(std::string_view lockfile) {
    Checksums out;
    toml::table table;
    try {
        table = toml::parse(lockfile, std::string_view("Cargo.lock"));
    } catch (const toml::parse_error& e) {
        return fail(ExitCode::usage, fmt::format("cannot read Cargo.lock: {}", e.description()),
                    "run 'cargo generate-lockfile' and commit Cargo.lock");
    }
    if (const auto* packages = table["package"].as_array())
        for (const auto& node : *packages) {
            const auto* package = node.as_table();
            if (!package)
                continue;
            auto text = [&](const char* key) { return (*package)[key].value_or(std::string()); };
            if (auto checksum = text("checksum"); !checksum.empty())
                out[{text("name"), text("version"), text("source")}] = checksum;
        }
    return out;
}

bool is_binary_of(const nlohmann::json& package, const std::string& binary) {
    for (const auto& target : package.at("targets")) {
        const auto& kinds = target.at("kind");
        if (target.at("name") == binary &&
            std::find(kinds.begin(), kinds.end(), "bin") != kinds.end())
            return true;
    }
    return false;
}

std::string text_or_empty(const nlohmann::json& object, const char* key) {
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

} // namespace

Result<DependencyGraph> binary_dependencies(std::string_view metadata, std::string_view lockfile,
                                            const std::string& binary) {
    RCD_ASSIGN(auto checksums, lockfile_checksums(lockfile));
    try {
        auto doc = nlohmann::json::parse(metadata);
        std::set<std::string> members;
        for (const auto& id : doc.at("workspace_members"))
            members.insert(id.get<std::string>());
        std::map<std::string, DependencyPackage> packages;
        std::string root;
        for (const auto& p : doc.at("packages")) {
            DependencyPackage package;
            package.id = p.at("id");
            package.name = p.at("name");
            package.version = p.at("version");
            if (p.contains("source") && p["source"].is_string())
                package.source = p["source"].get<std::string>();
            package.license = text_or_empty(p, "license");
            package.repository = text_or_empty(p, "repository");
            package.workspace_member = members.contains(package.id);
            if (auto it =
                    checksums.find({package.name, package.version, package.source.value_or("")});
                it != checksums.end())
                package.checksum = it->second;
            if (package.workspace_member && root.empty() && is_binary_of(p, binary))
                root = package.id;
            packages.emplace(package.id, std::move(package));
        }
        if (root.empty())
            return fail(ExitCode::usage,
                        fmt::format("no workspace member has a binary named '{}'", binary),
                        "set 'binary:' in rcd.yaml to the bin target the image ships");
        if (!doc.contains("resolve") || !doc["resolve"].is_object())
            return fail(ExitCode::usage, "cargo metadata gave no dependency graph",
                        "run it without --no-deps");
        std::map<std::string, std::vector<DependencyEdge>> out_edges;
        for (const auto& node : doc["resolve"].at("nodes")) {
            const std::string from = node.at("id");
            for (const auto& dep : node.at("deps")) {
                bool normal = false, build = false;
                for (const auto& kind : dep.at("dep_kinds")) {
                    const auto& k = kind.at("kind");
                    normal = normal || k.is_null();
                    build = build || k == "build";
                }
                const std::string to = dep.at("pkg");
                if (normal)
                    out_edges[from].push_back({from, to, DependencyKind::normal});
                if (build)
                    out_edges[from].push_back({from, to, DependencyKind::build});
            }
        }
        DependencyGraph graph;
        graph.root = root;
        std::set<std::string> seen = {root};
        std::vector<std::string> todo = {root};
        while (!todo.empty()) {
            auto id = todo.back();
            todo.pop_back();
            for (const auto& edge : out_edges[id]) {
                graph.edges.push_back(edge);
                if (seen.insert(edge.to).second)
                    todo.push_back(edge.to);
            }
        }
        std::sort(graph.edges.begin(), graph.edges.end());
        for (const auto& id : seen) {
            auto it = packages.find(id);
            if (it == packages.end())
                return fail(ExitCode::usage,
                            fmt::format("cargo metadata's graph names an unknown package {}", id),
                            "run 'cargo metadata' and report this");
            graph.packages.push_back(it->second);
        }
        std::sort(graph.packages.begin(), graph.packages.end(), [&](const auto& a, const auto& b) {
            return std::tuple(a.id != root, a.name, a.version, a.id) <
                   std::tuple(b.id != root, b.name, b.version, b.id);
        });
        return graph;
    } catch (const nlohmann::json::exception& e) {
        return fail(ExitCode::usage, fmt::format("cannot read cargo metadata: {}", e.what()),
                    "check that 'cargo metadata --format-version 1' works here");
    }
}

Result<DependencyGraph> read_binary_dependencies(const Workspace& workspace,
                                                 const std::string& triple,
                                                 const std::string& binary) {
    auto metadata = run_metadata(workspace.root, {"--locked", "--filter-platform", triple});
    if (!metadata) {
        auto error = metadata.error();
        error.hint = "commit an up-to-date Cargo.lock ('cargo generate-lockfile'): the SBOM is "
                     "made from it, and rcd never changes it";
        return std::unexpected(error);
    }
    const auto lock = workspace.root / "Cargo.lock";
    auto lockfile = util::read_file(lock);
    if (!lockfile)
        return fail(ExitCode::usage, fmt::format("cannot read {}", lock),
                    "run 'cargo generate-lockfile' and commit Cargo.lock");
    return binary_dependencies(*metadata, *lockfile, binary);
}

} // namespace rcd::cargo
