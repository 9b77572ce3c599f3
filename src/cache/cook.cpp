#include "rcd/cache/cook.hpp"

#include "rcd/util/fs.hpp"
#include "rcd/util/strings.hpp"

#include <algorithm>
#include <cctype>
#include <fmt/format.h>
#include <fmt/std.h>
#include <set>

namespace rcd::cache {

namespace {

// "name-0123456789abcdef" with an optional extension: cargo's hashed artifact names.
bool is_hashed_name(const std::string& entry, const std::string& name) {
    if (!entry.starts_with(name + "-"))
        return false;
    std::string rest = entry.substr(name.size() + 1);
    rest = rest.substr(0, rest.find('.'));
    return rest.size() == 16 && std::all_of(rest.begin(), rest.end(), [](char c) {
               return std::isxdigit(static_cast<unsigned char>(c));
           });
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

} // namespace

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

Result<exec::Captured> cook(const Recipe& recipe, const cargo::Workspace& workspace,
                            const std::vector<std::string>& command,
                            const std::map<std::string, std::string>& env,
                            const std::filesystem::path& scratch) {
    std::error_code ec;
    std::filesystem::remove_all(scratch, ec);
    for (const auto& file : recipe.skeleton)
        RCD_CHECK(util::write_file_atomic(scratch / file.path, file.content));
    exec::Command cargo{command, env, scratch, std::nullopt};
    cargo.env["CARGO_TARGET_DIR"] = workspace.target_directory.string();
    RCD_ASSIGN(auto result, exec::capture(cargo));
    RCD_ASSIGN([[maybe_unused]] auto purged, purge_members(workspace, workspace.target_directory));
    std::filesystem::remove_all(scratch, ec);
    if (result.exit_code != 0)
        return fail(ExitCode::filesystem,
                    fmt::format("cooking the dependencies failed: {} exited with {}",
                                util::shell_join(command), result.exit_code),
                    "the dependency build itself fails; run 'cargo build' to see why");
    return result;
}

} // namespace rcd::cache
