#include "rcd/cache/cook.hpp"

#include "rcd/util/fs.hpp"
#include "rcd/util/strings.hpp"

#include <algorithm>
#include <cctype>
#include <fmt/format.h>
#include <fmt/std.h>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>

namespace rcd::cache {

namespace {

bool is_hex16(std::string_view text) {
    return text.size() == 16 && std::all_of(text.begin(), text.end(), [](char c) {
               return std::isxdigit(static_cast<unsigned char>(c));
           });
}

// "name-0123456789abcdef" with an optional extension: cargo's hashed artifact names.
bool is_hashed_name(const std::string& entry, const std::string& name) {
    if (!entry.starts_with(name + "-"))
        return false;
    std::string rest = entry.substr(name.size() + 1);
    return is_hex16(rest.substr(0, rest.find('.')));
}

// "name-1xksuavorq20b": rustc's incremental session directories (base 36, not cargo's hex).
bool is_incremental_name(const std::string& entry, const std::string& name) {
    if (!entry.starts_with(name + "-") || entry.size() == name.size() + 1)
        return false;
    return std::all_of(entry.begin() + static_cast<std::ptrdiff_t>(name.size()) + 1, entry.end(),
                       [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
}

// Directories like target/debug, target/release, target/<triple>/release.
std::vector<std::filesystem::path> profile_dirs(const std::filesystem::path& target_dir) {
    std::vector<std::filesystem::path> out;
    std::error_code ec;
    for (const auto& level1 : std::filesystem::directory_iterator(target_dir, ec)) {
        if (!level1.is_directory())
            continue;
        if (std::filesystem::exists(level1.path() / ".fingerprint", ec))
            out.push_back(level1.path());
        for (const auto& level2 : std::filesystem::directory_iterator(level1.path(), ec))
            if (level2.is_directory() &&
                std::filesystem::exists(level2.path() / ".fingerprint", ec))
                out.push_back(level2.path());
    }
    return out;
}

// "libserde-0123456789abcdef.rlib" -> "0123456789abcdef"; empty when not hashed.
std::string unit_hash(const std::string& name) {
    std::string stem = name.substr(0, name.find('.'));
    auto dash = stem.rfind('-');
    if (dash == std::string::npos || !is_hex16(std::string_view(stem).substr(dash + 1)))
        return {};
    return stem.substr(dash + 1);
}

// `file` relative to the target directory; empty when it lies elsewhere.
std::filesystem::path inside_target(const std::filesystem::path& file,
                                    const std::filesystem::path& target_dir) {
    auto rel = file.lexically_normal().lexically_relative(target_dir.lexically_normal());
    return rel.empty() || *rel.begin() == ".." ? std::filesystem::path() : rel;
}

// Calls `use` with each JSON message of cargo's output about a package that is not a local path:
// the workspace's own crates (and any path dependency) are never cached.
void for_each_dependency_message(std::string_view cargo_json,
                                 const std::function<void(const nlohmann::json&)>& use) {
    for (const auto& line : util::split(std::string(cargo_json), '\n')) {
        if (!line.starts_with("{"))
            continue;
        auto doc = nlohmann::json::parse(line, nullptr, false);
        if (!doc.is_discarded() && doc.is_object() &&
            !doc.value("package_id", "").starts_with("path+"))
            use(doc);
    }
}

// Files under <profile>/deps/ and <profile>/build/<unit>/: the profile directory and the hash.
void add_unit(DependencyUnits& units, const std::filesystem::path& file,
              const std::filesystem::path& target_dir) {
    auto rel = inside_target(file, target_dir);
    if (rel.empty())
        return;
    std::filesystem::path profile;
    for (auto it = rel.begin(); it != rel.end(); ++it) {
        if ((*it == "deps" || *it == "build") && std::next(it) != rel.end()) {
            if (auto hash = unit_hash(std::next(it)->string()); !hash.empty())
                units[profile.generic_string()].insert(hash);
            return;
        }
        profile /= *it;
    }
}

} // namespace

DependencyUnits parse_dependency_units(std::string_view cargo_json,
                                       const std::filesystem::path& target_dir) {
    DependencyUnits units;
    for_each_dependency_message(cargo_json, [&](const nlohmann::json& doc) {
        std::string reason = doc.value("reason", "");
        if (reason == "compiler-artifact" && doc.contains("filenames") &&
            doc["filenames"].is_array()) {
            for (const auto& file : doc["filenames"])
                if (file.is_string())
                    add_unit(units, file.get<std::string>(), target_dir);
        } else if (reason == "build-script-executed" && doc.contains("out_dir") &&
                   doc["out_dir"].is_string()) {
            add_unit(units, doc["out_dir"].get<std::string>(), target_dir);
        }
    });
    return units;
}

std::vector<std::string> parse_host_tools(std::string_view cargo_json,
                                          const std::filesystem::path& target_dir) {
    std::vector<std::string> tools;
    for_each_dependency_message(cargo_json, [&](const nlohmann::json& doc) {
        const auto kinds = doc.contains("target") && doc["target"].is_object()
                               ? doc["target"].value("kind", nlohmann::json::array())
                               : nlohmann::json::array();
        bool host_tool = false;
        for (const auto& kind : kinds)
            host_tool = host_tool || kind == "proc-macro" || kind == "custom-build";
        // Not by the profile's `debuginfo`: a build script compiled without any still links
        // std's, 5 MB of it.
        if (doc.value("reason", "") != "compiler-artifact" || !host_tool ||
            !doc.contains("filenames") || !doc["filenames"].is_array())
            return;
        for (const auto& file : doc["filenames"])
            if (file.is_string())
                if (auto rel = inside_target(file.get<std::string>(), target_dir); !rel.empty())
                    tools.push_back(rel.generic_string());
    });
    std::sort(tools.begin(), tools.end());
    tools.erase(std::unique(tools.begin(), tools.end()), tools.end());
    return tools;
}

std::map<std::string, std::filesystem::path>
strip_debug_copies(const std::filesystem::path& target_dir, const std::vector<std::string>& files,
                   const std::filesystem::path& scratch) {
    std::map<std::string, std::filesystem::path> copies;
    std::error_code ec;
    std::filesystem::create_directories(scratch, ec);
    for (const auto& file : files) {
        auto copy = scratch / std::to_string(copies.size() + 1);
        auto original = target_dir / file;
        auto stripped = exec::capture(
            {{"objcopy", "--strip-debug", original.string(), copy.string()}, {}, scratch, {}});
        auto before = std::filesystem::file_size(original, ec);
        auto after = ec ? 0 : std::filesystem::file_size(copy, ec);
        if (stripped && stripped->exit_code == 0 && !ec && after < before)
            copies.emplace(file, copy);
        else
            std::filesystem::remove(copy, ec);
    }
    return copies;
}

std::vector<std::string> dependency_paths(const DependencyUnits& units,
                                          const std::filesystem::path& target_dir) {
    std::vector<std::string> paths;
    std::error_code ec;
    for (const auto& [profile, hashes] : units)
        for (const char* sub : {".fingerprint", "build", "deps"}) {
            std::filesystem::path dir = target_dir / profile / sub;
            for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
                if (hashes.contains(unit_hash(entry.path().filename().string())))
                    paths.push_back((std::filesystem::path(profile) / sub / entry.path().filename())
                                        .generic_string());
        }
    std::sort(paths.begin(), paths.end());
    return paths;
}

Result<std::size_t> purge_members(const cargo::Workspace& workspace,
                                  const std::filesystem::path& target_dir) {
    std::set<std::string> packages; // names of .fingerprint/ and build/ entries
    std::set<std::string> crates;   // names of deps/, incremental/ and examples/ entries
    std::set<std::string> outputs;  // uplifted files at the top of a profile directory
    for (const auto& package : workspace.members) {
        packages.insert(package.name);
        for (const auto& target : package.targets) {
            std::string crate = target.name;
            std::replace(crate.begin(), crate.end(), '-', '_');
            crates.insert(crate);
            for (const auto& name : {target.name, crate})
                for (const auto& file :
                     {name, name + ".d", "lib" + name + ".rlib", "lib" + name + ".d",
                      "lib" + name + ".so", "lib" + name + ".a"})
                    outputs.insert(file);
        }
    }
    std::size_t removed = 0;
    std::error_code ec;
    auto remove = [&](const std::filesystem::path& path) -> Status {
        auto n = std::filesystem::remove_all(path, ec);
        if (ec)
            return fail(ExitCode::filesystem,
                        fmt::format("cannot remove {}: {}", path, ec.message()),
                        "check the permissions of the target directory");
        removed += static_cast<std::size_t>(n);
        return {};
    };
    for (const auto& dir : profile_dirs(target_dir)) {
        auto purge_in = [&](const char* sub, const std::set<std::string>& names) -> Status {
            for (const auto& entry : std::filesystem::directory_iterator(dir / sub, ec)) {
                std::string file = entry.path().filename().string();
                for (const auto& name : names)
                    if (is_hashed_name(file, name) || is_hashed_name(file, "lib" + name) ||
                        (std::string(sub) == "incremental" && is_incremental_name(file, name)) ||
                        (std::string(sub) == "examples" && file == name)) {
                        RCD_CHECK(remove(entry.path()));
                        break;
                    }
            }
            return {};
        };
        RCD_CHECK(purge_in(".fingerprint", packages));
        RCD_CHECK(purge_in("build", packages));
        RCD_CHECK(purge_in("deps", crates));
        RCD_CHECK(purge_in("incremental", crates));
        RCD_CHECK(purge_in("examples", crates));
        for (const auto& file : outputs)
            if (std::filesystem::exists(dir / file, ec))
                RCD_CHECK(remove(dir / file));
    }
    return removed;
}

Result<Cooked> cook(const Recipe& recipe, const cargo::Workspace& workspace,
                    const std::vector<CookCommand>& commands, const std::filesystem::path& scratch,
                    const std::filesystem::path& log, int interrupt_fd) {
    std::error_code ec;
    std::filesystem::remove_all(scratch, ec);
    for (const auto& file : recipe.skeleton)
        RCD_CHECK(util::write_file_atomic(scratch / file.path, file.content));
    std::string output;
    std::optional<Error> failed;
    for (const auto& command : commands) {
        exec::Command cargo{command.argv, command.env, scratch, std::nullopt};
        cargo.argv.push_back("--message-format=json");
        cargo.env["CARGO_TARGET_DIR"] = workspace.target_directory.string();
        auto result = exec::capture(cargo, interrupt_fd);
        if (!result) {
            failed = result.error();
            break;
        }
        output += result->output;
        if (result->exit_code != 0) {
            failed = Error{ExitCode::filesystem,
                           fmt::format("cooking the dependencies failed: {} exited with {}",
                                       util::shell_join(command.argv), result->exit_code),
                           fmt::format("cargo's output is in {}", log)};
            break;
        }
    }
    // Whatever happened, nothing built from a dummy source may stay behind.
    auto purged = purge_members(workspace, workspace.target_directory);
    std::filesystem::remove_all(scratch, ec);
    if (failed && failed->code == ExitCode::interrupted)
        return std::unexpected(*failed);
    RCD_CHECK(purged);
    RCD_CHECK(util::write_file_atomic(log, output));
    if (failed)
        return std::unexpected(*failed);
    auto units = parse_dependency_units(output, workspace.target_directory);
    auto paths = dependency_paths(units, workspace.target_directory);
    auto tools = parse_host_tools(output, workspace.target_directory);
    return Cooked{std::move(output), std::move(paths), std::move(tools)};
}

} // namespace rcd::cache
