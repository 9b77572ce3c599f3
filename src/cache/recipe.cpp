#include "rcd/cache/recipe.hpp"

#include "rcd/util/fs.hpp"
#include "rcd/util/hash.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <set>
#include <sstream>
#include <toml++/toml.h>

namespace rcd::cache {

namespace {

const char* kDependencyTables[] = {"dependencies", "dev-dependencies", "build-dependencies",
                                   "dev_dependencies", "build_dependencies"};

// A path dependency's version is local, so it is masked; renamed ones (`package = ...`) too.
void mask_path_dependencies(toml::table& dependencies) {
    for (auto&& [name, node] : dependencies)
        if (auto* dep = node.as_table(); dep && dep->contains("path"))
            dep->erase("version");
}

void mask_dependency_tables(toml::table& table) {
    for (const char* key : kDependencyTables)
        if (auto* deps = table[key].as_table())
            mask_path_dependencies(*deps);
    // [target.'cfg(unix)'.dependencies] and friends.
    if (auto* targets = table["target"].as_table())
        for (auto&& [cfg, node] : *targets)
            if (auto* target = node.as_table())
                for (const char* key : kDependencyTables)
                    if (auto* deps = (*target)[key].as_table())
                        mask_path_dependencies(*deps);
}

std::string relative_to(const std::filesystem::path& path, const std::filesystem::path& base) {
    return path.lexically_relative(base).generic_string();
}

// [[bin]], [[example]], [[test]] or [[bench]] entries for targets of one kind, sorted by name,
// keeping what the original manifest said about each (harness, required-features, ...).
toml::array explicit_targets(const cargo::Package& package, const char* kind,
                             const toml::table& original, const char* section,
                             const std::filesystem::path& member_dir) {
    std::vector<const cargo::Target*> targets;
    for (const auto& t : package.targets)
        if (t.has_kind(kind))
            targets.push_back(&t);
    std::sort(targets.begin(), targets.end(),
              [](const auto* a, const auto* b) { return a->name < b->name; });
    toml::array out;
    for (const auto* t : targets) {
        toml::table entry;
        if (const auto* declared = original[section].as_array())
            for (const auto& node : *declared)
                if (const auto* d = node.as_table();
                    d && (*d)["name"].value_or(std::string()) == t->name)
                    entry = *d;
        entry.insert_or_assign("name", t->name);
        entry.insert_or_assign("path", relative_to(t->src_path, member_dir));
        out.push_back(std::move(entry));
    }
    return out;
}

std::string dummy_source(const cargo::Target& target) {
    if (target.has_kind("bin") || target.has_kind("example") || target.has_kind("custom-build"))
        return "fn main() {}\n";
    return "// rcd skeleton\n";
}

struct RewrittenMember {
    std::string manifest;
    std::vector<SkeletonFile> sources;
};

Result<toml::table> parse_toml(const std::string& text, const std::string& path) {
    try {
        return toml::parse(text, path);
    } catch (const toml::parse_error& e) {
        return fail(ExitCode::usage,
                    fmt::format("{}:{}:{}: {}", path, e.source().begin.line,
                                e.source().begin.column, e.description()),
                    "fix the TOML syntax");
    }
}

std::string serialise(const toml::table& table) {
    std::ostringstream out;
    out << table; // toml++ tables are ordered by key: stable output
    return out.str() + "\n";
}

Result<RewrittenMember> rewrite_member(const cargo::Package& package, const std::string& text,
                                       const std::filesystem::path& root) {
    const std::filesystem::path member_dir = package.manifest_path.parent_path();
    const std::string path = relative_to(package.manifest_path, root);
    RCD_ASSIGN(auto manifest, parse_toml(text, path));
    const toml::table original = manifest;
    RewrittenMember out;

    if (auto* pkg = manifest["package"].as_table()) {
        pkg->insert_or_assign("version", kMaskedVersion);
        for (const char* key : {"autobins", "autoexamples", "autotests", "autobenches"})
            pkg->insert_or_assign(key, false);
        pkg->erase("build");
        for (const auto& t : package.targets)
            if (t.has_kind("custom-build"))
                pkg->insert_or_assign("build", relative_to(t.src_path, member_dir));
    }
    manifest.erase("lints");
    mask_dependency_tables(manifest);

    for (const auto& t : package.targets) {
        if (t.is_library()) {
            toml::table lib =
                original["lib"].as_table() ? *original["lib"].as_table() : toml::table{};
            lib.insert_or_assign("name", t.name);
            lib.insert_or_assign("path", relative_to(t.src_path, member_dir));
            if (t.has_kind("proc-macro"))
                lib.insert_or_assign("proc-macro", true);
            manifest.insert_or_assign("lib", std::move(lib));
        }
        out.sources.push_back({relative_to(t.src_path, root), dummy_source(t)});
    }
    const std::pair<const char*, const char*> sections[] = {
        {"bin", "bin"}, {"example", "example"}, {"test", "test"}, {"bench", "bench"}};
    for (const auto& [kind, section] : sections) {
        toml::array entries = explicit_targets(package, kind, original, section, member_dir);
        manifest.erase(section);
        if (!entries.empty())
            manifest.insert_or_assign(section, std::move(entries));
    }
    out.manifest = serialise(manifest);
    return out;
}

Result<std::string> rewrite_root(const std::string& text, const std::string& path) {
    RCD_ASSIGN(auto manifest, parse_toml(text, path));
    if (auto* workspace = manifest["workspace"].as_table()) {
        workspace->erase("lints");
        if (auto* package = (*workspace)["package"].as_table())
            package->erase("version");
        if (auto* deps = (*workspace)["dependencies"].as_table())
            mask_path_dependencies(*deps);
    }
    return serialise(manifest);
}

Result<std::string> rewrite_lockfile(const std::string& text) {
    RCD_ASSIGN(auto lock, parse_toml(text, "Cargo.lock"));
    if (auto* packages = lock["package"].as_array()) {
        // Local packages (no `source`) lose their version, and so do references to them.
        std::set<std::string> local_ids;
        for (auto& node : *packages) {
            auto* p = node.as_table();
            if (!p || p->contains("source"))
                continue;
            std::string name = (*p)["name"].value_or(std::string());
            local_ids.insert(name + " " + (*p)["version"].value_or(std::string()));
            p->insert_or_assign("version", kMaskedVersion);
        }
        for (auto& node : *packages) {
            auto* p = node.as_table();
            if (!p)
                continue;
            if (auto* deps = (*p)["dependencies"].as_array())
                for (auto& dep : *deps)
                    if (auto* s = dep.as_string(); s && local_ids.count(s->get()))
                        *s = s->get().substr(0, s->get().find(' ')) + " " + kMaskedVersion;
        }
    }
    return serialise(lock);
}

} // namespace

Result<Recipe> build_recipe(const RecipeInput& input) {
    const std::filesystem::path& root = input.workspace.root;
    Recipe recipe;
    std::map<std::string, std::string> files; // path -> canonical content, sorted by path

    std::set<std::string> member_manifests;
    for (const auto& package : input.workspace.members) {
        std::string path = relative_to(package.manifest_path, root);
        member_manifests.insert(path);
        auto text = input.manifests.find(path);
        if (text == input.manifests.end())
            return fail(ExitCode::filesystem, fmt::format("the recipe needs {}", path),
                        "check that the workspace's manifests are readable");
        RCD_ASSIGN(auto rewritten, rewrite_member(package, text->second, root));
        std::string manifest = rewritten.manifest;
        if (path == "Cargo.toml") { // a root package can also hold [workspace]
            RCD_ASSIGN(manifest, rewrite_root(manifest, path));
        }
        files[path] = manifest;
        for (auto& source : rewritten.sources)
            recipe.skeleton.push_back(std::move(source));
    }
    if (!member_manifests.count("Cargo.toml")) {
        auto text = input.manifests.find("Cargo.toml");
        if (text != input.manifests.end()) {
            RCD_ASSIGN(files["Cargo.toml"], rewrite_root(text->second, "Cargo.toml"));
        }
    }
    if (input.lockfile) {
        RCD_ASSIGN(files["Cargo.lock"], rewrite_lockfile(*input.lockfile));
    }
    for (const auto& [path, text] : input.config_files)
        files[path] = text;

    for (const auto& [path, content] : files) {
        recipe.text += fmt::format("=== {} ===\n{}", path, content);
        recipe.skeleton.push_back({path, content});
    }
    std::sort(recipe.skeleton.begin(), recipe.skeleton.end(),
              [](const auto& a, const auto& b) { return a.path < b.path; });
    recipe.hash = util::sha256_hex(recipe.text);
    return recipe;
}

Result<RecipeInput> read_recipe_input(const cargo::Workspace& workspace) {
    RecipeInput input;
    input.workspace = workspace;
    const auto& root = workspace.root;
    std::error_code ec;
    auto read_if_present = [&](const std::string& path) -> Result<std::optional<std::string>> {
        if (!std::filesystem::is_regular_file(root / path, ec))
            return std::optional<std::string>{};
        RCD_ASSIGN(auto text, util::read_file(root / path));
        return std::optional<std::string>(std::move(text));
    };
    RCD_ASSIGN(auto root_manifest, read_if_present("Cargo.toml"));
    if (root_manifest)
        input.manifests["Cargo.toml"] = *root_manifest;
    for (const auto& package : workspace.members) {
        std::string path = relative_to(package.manifest_path, root);
        RCD_ASSIGN(input.manifests[path], util::read_file(package.manifest_path));
    }
    RCD_ASSIGN(input.lockfile, read_if_present("Cargo.lock"));
    for (const char* path :
         {".cargo/config.toml", ".cargo/config", "rust-toolchain.toml", "rust-toolchain"}) {
        RCD_ASSIGN(auto text, read_if_present(path));
        if (text)
            input.config_files[path] = *text;
    }
    return input;
}

} // namespace rcd::cache
