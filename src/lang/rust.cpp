// Rust: a Cargo workspace, cargo's JSON messages, libtest's output, the cooked dependency cache.
#include "languages.hpp"

#include "rcd/cargo/dependencies.hpp"
#include "rcd/exec/process.hpp"
#include "rcd/lang/rust.hpp"
#include "rcd/report/junit.hpp"
#include "rcd/util/fs.hpp"
#include "rcd/util/strings.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace rcd::lang {

namespace {

bool is_cargo(const std::vector<std::string>& argv) {
    return !argv.empty() && std::filesystem::path(argv[0]).filename() == "cargo";
}

} // namespace

std::vector<std::string> with_json_messages(std::vector<std::string> argv) {
    static const std::vector<std::string> compiling = {"build", "check", "clippy", "test", "rustc"};
    if (argv.size() < 2 || !is_cargo(argv) ||
        std::find(compiling.begin(), compiling.end(), argv[1]) == compiling.end())
        return argv;
    for (const auto& arg : argv)
        if (arg.starts_with("--message-format"))
            return argv;
    auto end = std::find(argv.begin(), argv.end(), "--");
    argv.insert(end, "--message-format=json");
    return argv;
}

namespace {

class Rust final : public Language {
  public:
    explicit Rust(cargo::Workspace workspace) : workspace_(std::move(workspace)) {}

    std::string name() const override { return "rust"; }
    std::filesystem::path target_dir() const override { return workspace_.target_directory; }
    const cargo::Workspace* workspace() const override { return &workspace_; }

    Conditions conditions() const override {
        Conditions conditions;
        if (workspace_.has_library())
            conditions.has_library = true;
        else
            conditions.no_library_reason =
                "no library target in the workspace (cargo test --doc would fail with \"no "
                "library targets found\")";
        if (workspace_.has_benches())
            conditions.has_benches = true;
        else
            conditions.no_benches_reason = "no bench target in the workspace";
        return conditions;
    }

    void prepare_job(exec::StageJob& job, bool annotations) const override {
        if (!is_cargo(job.command.argv))
            return;
        if (annotations) {
            job.command.argv = with_json_messages(std::move(job.command.argv));
            job.format = kCargoJson;
        }
    }

    std::string test_format(const pipeline::Stage& stage) const override {
        return is_cargo(stage.run) && stage.run.size() >= 2 && stage.run[1] == "test" ? kLibtest
                                                                                      : "";
    }

    Result<Target> planned_target(const exec::StageJob* build,
                                  const std::filesystem::path* binary) const override {
        std::string triple;
        // With build.target set, cargo puts the binary under target/<triple>/release/.
        auto relative = binary ? binary->lexically_relative(workspace_.target_directory)
                               : std::filesystem::path();
        if (auto first = relative.begin();
            first != relative.end() && first->string().find('-') != std::string::npos)
            triple = first->string();
        else if (build && build->command.env.contains("CARGO_BUILD_TARGET"))
            triple = build->command.env.at("CARGO_BUILD_TARGET");
        else if (auto target = util::env("CARGO_BUILD_TARGET"))
            triple = *target;
        else {
            RCD_ASSIGN(auto toolchain, workspace_.toolchain());
            triple = toolchain.host;
        }
        return target_of(triple);
    }

    Result<std::filesystem::path> locate_binary(const exec::StageJob* build,
                                                const std::string& wanted) const override {
        if (!build)
            return fail(ExitCode::usage, "the rust pipeline has no stage with 'produces: binary'",
                        "mark the stage that builds the release binary with produces: binary");
        exec::Command command = build->command;
        command.argv.push_back("--message-format=json");
        command.env["CARGO_TERM_COLOR"] = "never";
        RCD_ASSIGN(auto out, exec::capture(command));
        if (out.exit_code != 0)
            return fail(ExitCode::stage_failed,
                        fmt::format("'{}' failed while looking for the binary",
                                    util::shell_join(command.argv)),
                        "run 'rcd build' to see the build's errors");
        std::vector<std::string> found;
        for (const auto& line : util::split(out.output, '\n')) {
            if (!line.starts_with("{"))
                continue;
            auto doc = nlohmann::json::parse(line, nullptr, false);
            if (doc.is_discarded() || doc.value("reason", "") != "compiler-artifact" ||
                !doc.contains("executable") || !doc["executable"].is_string())
                continue;
            std::string name = doc["target"].value("name", "");
            if (name == wanted)
                return std::filesystem::path(doc["executable"].get<std::string>());
            found.push_back(name);
        }
        return fail(ExitCode::usage, fmt::format("the build produced no binary named '{}'", wanted),
                    found.empty() ? "check that the workspace has a bin target"
                                  : fmt::format("set 'binary:' in rcd.yaml to one of: {}",
                                                util::join(found, ", ")));
    }

    std::vector<std::filesystem::path> built_binaries(const std::string& binary) const override {
        const auto& target = workspace_.target_directory;
        std::vector<std::filesystem::path> out = {target / "release" / binary};
        std::error_code ec;
        for (const auto& entry : std::filesystem::directory_iterator(target, ec))
            if (entry.is_directory(ec) &&
                entry.path().filename().string().find('-') != std::string::npos)
                out.push_back(entry.path() / "release" / binary);
        return out;
    }

    Result<std::unique_ptr<cache::Planner>>
    open_cache(const std::vector<cache::ProfileRequest>& requests,
               cache::LocalStore store) const override {
        return cache::Planner::create(workspace_, requests, std::move(store));
    }

    Result<cargo::DependencyGraph> dependencies(const std::string& target,
                                                const std::string& binary) const override {
        return cargo::read_binary_dependencies(workspace_, target, binary);
    }

    std::map<std::string, std::string> toolchain() const override {
        std::map<std::string, std::string> out;
        if (auto toolchain = workspace_.toolchain()) {
            out["rustc"] = util::split(toolchain->rustc, '\n').front();
            out["cargo"] = util::trim(toolchain->cargo);
            out["host"] = toolchain->host;
        }
        return out;
    }

    std::optional<std::filesystem::path> lockfile() const override {
        return workspace_.root / "Cargo.lock";
    }

  private:
    static Result<Target> target_of(const std::string& triple) {
        RCD_ASSIGN(auto platform, image::platform_from_triple(triple));
        return Target{triple, platform};
    }

    cargo::Workspace workspace_;
};

} // namespace

namespace detail {

// The package's name for one crate; the binary's for a workspace with one.
Result<std::string> rust_name(const std::filesystem::path& dir) {
    RCD_ASSIGN(auto workspace, cargo::read_workspace(dir));
    std::vector<std::string> binaries;
    for (const auto& package : workspace.members)
        for (const auto& target : package.targets)
            if (target.has_kind("bin"))
                binaries.push_back(target.name);
    if (binaries.size() == 1)
        return binaries.front();
    if (workspace.members.size() == 1)
        return workspace.members.front().name;
    return fail(ExitCode::usage,
                binaries.empty() ? "rcd init: the workspace has no binary to put in an image"
                                 : fmt::format("rcd init: the workspace has several binaries: {}",
                                               util::join(binaries, ", ")),
                "write rcd.yaml with 'name: <image name>', 'language: rust' and 'binary: <name>'");
}

Result<std::shared_ptr<const Language>> open_rust(const std::filesystem::path& dir,
                                                  const pipeline::RepoConfig&) {
    RCD_ASSIGN(auto workspace, cargo::read_workspace(dir));
    return std::make_shared<const Rust>(std::move(workspace));
}

} // namespace detail

} // namespace rcd::lang
