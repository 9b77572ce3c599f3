// Go: a module (go.mod), go test's JSON events, GOCACHE and GOMODCACHE as the dependency cache,
// and the modules a binary is built from.
#include "languages.hpp"

#include "rcd/exec/process.hpp"
#include "rcd/lang/go.hpp"
#include "rcd/util/fs.hpp"
#include "rcd/util/hash.hpp"
#include "rcd/util/strings.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <fmt/std.h>
#include <iterator>
#include <set>

namespace rcd::lang {

GoModule parse_go_mod(std::string_view text) {
    GoModule module;
    for (const auto& raw : util::split(text, '\n')) {
        std::string line = util::trim(raw.substr(0, raw.find("//")));
        if (line.starts_with("module ") || line.starts_with("module\t")) {
            module.path = util::trim(line.substr(7));
            if (module.path.size() >= 2 && module.path.front() == '"' && module.path.back() == '"')
                module.path = module.path.substr(1, module.path.size() - 2);
        } else if (line.starts_with("go ") || line.starts_with("go\t")) {
            module.go = util::trim(line.substr(3));
        }
    }
    return module;
}

bool runs_go_test_json(const std::vector<std::string>& argv) {
    if (argv.size() < 2 || std::filesystem::path(argv[0]).filename() != "go" || argv[1] != "test")
        return false;
    return std::find(argv.begin(), argv.end(), "-json") != argv.end();
}

std::string go_cache_key(const GoKeyInput& in) {
    std::string text = "rcd go cache v1\n";
    text += "profile " + in.profile + "\n";
    text += "go.sum " + util::sha256_hex(in.go_sum) + "\n";
    text += "vendor/modules.txt " + util::sha256_hex(in.vendor_modules) + "\n";
    text += "go " + in.go_line + "\n";
    text += "version " + in.go_version + "\n";
    std::set<std::string> platforms(in.platforms.begin(), in.platforms.end());
    for (const auto& platform : platforms)
        text += "platform " + platform + "\n";
    return util::sha256_hex(text);
}

std::optional<image::Platform> go_platform(const std::string& goos, const std::string& goarch,
                                           const std::string& goarm) {
    static const std::vector<std::string> arches = {"amd64",   "arm64", "arm",    "386",
                                                    "ppc64le", "s390x", "riscv64"};
    if (goos != "linux" || std::find(arches.begin(), arches.end(), goarch) == arches.end())
        return std::nullopt;
    std::string variant; // arm: GOARM, whose default is 7
    if (goarch == "arm")
        variant = fmt::format("v{}", goarm.empty() ? "7" : goarm);
    return image::Platform{"linux", goarch, variant};
}

namespace {

// `go env NAME...` with a stage's environment: one value per line.
Result<std::vector<std::string>> go_env(const std::filesystem::path& dir,
                                        const std::map<std::string, std::string>& env,
                                        const std::vector<std::string>& names) {
    exec::Command command{{"go", "env"}, env, dir, std::nullopt};
    command.argv.insert(command.argv.end(), names.begin(), names.end());
    auto out = exec::capture(command);
    if (!out)
        return fail(ExitCode::usage, fmt::format("cannot run 'go env': {}", out.error().message),
                    "install Go (Debian: apt install golang-go) and put it on PATH");
    if (out->exit_code != 0)
        return fail(ExitCode::usage, fmt::format("'go env' failed: {}", util::trim(out->output)),
                    "check the Go toolchain and go.mod");
    auto lines = util::split(out->output, '\n');
    lines.resize(names.size());
    return lines;
}

class Go final : public Language {
  public:
    Go(std::filesystem::path dir, std::filesystem::path target, GoModule module, std::string binary)
        : dir_(std::move(dir)), target_(std::move(target)), module_(std::move(module)),
          binary_(std::move(binary)) {}

    std::string name() const override { return "go"; }
    std::filesystem::path target_dir() const override { return target_; }

    Conditions conditions() const override {
        return {false, "a Go module has no doc tests to run apart (go test runs examples)", false,
                "the bench stage runs criterion benches: Rust only"};
    }

    std::optional<std::string> variable(const std::string& name) const override {
        if (name == "main_package") {
            std::error_code ec;
            return std::filesystem::is_directory(dir_ / "cmd" / binary_, ec) ? "./cmd/" + binary_
                                                                             : std::string(".");
        }
        if (name == "module")
            return module_.path;
        return std::nullopt;
    }

    std::map<std::string, std::string> stage_env() const override {
        std::string flags = util::env("GOFLAGS").value_or("");
        // -modcacherw: the module cache's files are read-only by default, and rcd (or `rm -rf
        // target`) could not replace them. -trimpath: without it every package's cache entry
        // depends on the directory it was compiled in, and a clone elsewhere misses them all.
        for (const char* flag : {"-modcacherw", "-trimpath"})
            if (flags.find(flag) == std::string::npos)
                flags += flags.empty() ? std::string(flag) : fmt::format(" {}", flag);
        return {{"GOCACHE", (target_ / "go" / "build").string()},
                {"GOMODCACHE", (target_ / "go" / "mod").string()},
                {"GOFLAGS", flags}};
    }

    void prepare_job(exec::StageJob& job, bool) const override {
        if (runs_go_test_json(job.command.argv))
            job.format = kGoTestJson;
    }

    std::string test_format(const pipeline::Stage& stage) const override {
        return runs_go_test_json(stage.argv()) ? kGoTestJson : "";
    }

    Result<Target> planned_target(const exec::StageJob* build,
                                  const std::filesystem::path*) const override {
        RCD_ASSIGN(auto values, go_env(dir_, build ? build->command.env : stage_env(),
                                       {"GOOS", "GOARCH", "GOARM"}));
        auto platform = go_platform(values[0], values[1], values[2]);
        if (!platform)
            return fail(
                ExitCode::usage,
                fmt::format("no container platform for GOOS={} GOARCH={}", values[0], values[1]),
                "build for Linux: set GOOS=linux in the build stage's env");
        return Target{values[0] + "/" + values[1], *platform};
    }

    Result<std::filesystem::path> locate_binary(const exec::StageJob* build,
                                                const std::string&) const override {
        if (!build)
            return fail(ExitCode::usage, "the go pipeline has no stage with 'produces: binary'",
                        "mark the stage that runs go build with produces: binary");
        auto output = detail::flag_value(build->command.argv, "-o");
        if (!output)
            return fail(
                ExitCode::usage,
                fmt::format("the build stage '{}' names no output file (-o PATH)", build->name),
                "give go build '-o ${target_dir}/go/bin/${binary}', as the go "
                "pipeline does");
        std::filesystem::path path = *output;
        if (path.is_relative())
            path = build->command.cwd / path;
        // As cargo's no-op build: go build is quick when nothing changed, and makes sure the
        // binary is this tree's.
        RCD_ASSIGN(auto out, exec::capture(build->command));
        if (out.exit_code != 0)
            return fail(ExitCode::stage_failed,
                        fmt::format("'{}' failed while building the binary:\n{}",
                                    util::shell_join(build->command.argv), util::trim(out.output)),
                        "run 'rcd build' to see the build's errors");
        std::error_code ec;
        if (!std::filesystem::is_regular_file(path, ec))
            return fail(ExitCode::usage,
                        fmt::format("the build stage did not write {} (go build -o names a "
                                    "directory, or builds no main package)",
                                    path),
                        "build one main package: set 'binary:' in rcd.yaml, or put it in "
                        "cmd/<binary>/");
        return path;
    }

    std::vector<std::filesystem::path> built_binaries(const std::string& binary) const override {
        return {target_ / "go" / "bin" / binary}; // the go pipeline's -o
    }

    Result<std::unique_ptr<cache::Planner>>
    open_cache(const std::vector<cache::ProfileRequest>& all,
               cache::LocalStore store) const override {
        // What the selected stages leave in GOCACHE: the others' platforms are not in it.
        std::vector<cache::ProfileRequest> requests;
        std::copy_if(all.begin(), all.end(), std::back_inserter(requests),
                     [](const cache::ProfileRequest& request) { return request.selected; });
        if (requests.empty())
            return std::unique_ptr<cache::Planner>{};
        store.remove_leftovers();
        util::remove_stale(target_, ".rcd-unpack-");
        RCD_ASSIGN(auto version, go_version(requests.front().env));
        const std::string go_sum = util::read_file(dir_ / "go.sum").value_or("");
        const std::string vendored = util::read_file(dir_ / "vendor" / "modules.txt").value_or("");
        cache::PlannerSetup setup{
            target_,
            {},
            util::sha256_hex(go_sum + "\n" + vendored + "\n" + module_.go).substr(0, 16),
            {},
            std::move(store),
            {}};
        setup.toolchain_id = util::sha256_hex(version).substr(0, 16);
        // One key per profile, over every platform its stages build for.
        std::map<std::string, std::vector<std::string>> platforms;
        std::map<std::map<std::string, std::string>, std::string> platform_of_env;
        for (const auto& request : requests) {
            auto known = platform_of_env.find(request.env);
            if (known == platform_of_env.end()) {
                RCD_ASSIGN(auto values,
                           go_env(dir_, request.env, {"GOOS", "GOARCH", "CGO_ENABLED"}));
                known = platform_of_env
                            .emplace(request.env,
                                     fmt::format("{}/{} cgo={}", values[0], values[1], values[2]))
                            .first;
            }
            platforms[request.profile].push_back(known->second);
            if (cache::ProfileCache* profile = cache::add_first(setup.profiles, request))
                profile->paths = {"go/build", "go/mod"};
        }
        for (auto& profile : setup.profiles)
            profile.key = go_cache_key({profile.profile, go_sum, vendored, module_.go, version,
                                        platforms[profile.profile]});
        return std::make_unique<cache::Planner>(std::move(setup));
    }

    Result<cargo::DependencyGraph> dependencies(const std::string&,
                                                const std::string&) const override {
        auto main = variable("main_package").value_or(".");
        exec::Command command{{"go", "list", "-deps", "-f",
                               "{{with .Module}}{{.Path}}\t{{.Version}}\t{{.Main}}{{end}}", main},
                              stage_env(),
                              dir_,
                              std::nullopt};
        command.env["CGO_ENABLED"] = "0";
        RCD_ASSIGN(auto out, exec::capture(command));
        if (out.exit_code != 0)
            return fail(ExitCode::usage,
                        fmt::format("'go list -deps {}' failed: {}", main, util::trim(out.output)),
                        "check that the module builds (rcd build)");
        return go_dependency_graph(out.output, module_);
    }

    std::map<std::string, std::string> toolchain() const override {
        std::map<std::string, std::string> out;
        if (auto version = go_version({}))
            out["go"] = *version;
        return out;
    }

    std::optional<std::filesystem::path> lockfile() const override {
        std::error_code ec;
        if (std::filesystem::exists(dir_ / "go.sum", ec))
            return dir_ / "go.sum";
        return std::nullopt;
    }

  private:
    Result<std::string> go_version(const std::map<std::string, std::string>& env) const {
        auto out = exec::capture({{"go", "version"}, env, dir_, std::nullopt});
        if (!out || out->exit_code != 0)
            return fail(ExitCode::usage, "cannot run 'go version'",
                        "install Go (Debian: apt install golang-go) and put it on PATH");
        return util::trim(out->output);
    }

    std::filesystem::path dir_;
    std::filesystem::path target_;
    GoModule module_;
    std::string binary_;
};

} // namespace

cargo::DependencyGraph go_dependency_graph(std::string_view go_list, const GoModule& module) {
    cargo::DependencyGraph graph;
    graph.ecosystem = "golang";
    graph.root = module.path;
    std::map<std::string, cargo::DependencyPackage> modules;
    for (const auto& line : util::split(go_list, '\n')) {
        auto fields = util::split(line, '\t');
        if (fields.size() != 3 || fields[0].empty())
            continue;
        cargo::DependencyPackage package;
        package.id = fields[0];
        package.name = fields[0];
        package.version = fields[1];
        package.workspace_member = fields[2] == "true";
        if (!package.workspace_member)
            package.source = "go";
        modules.try_emplace(package.id, std::move(package));
    }
    if (!modules.contains(module.path)) {
        cargo::DependencyPackage root;
        root.id = root.name = module.path;
        root.workspace_member = true;
        modules.emplace(module.path, root);
    }
    // The version a main module has is its commit's (the SBOM's document names it).
    graph.packages.push_back(modules.at(module.path));
    for (const auto& [id, package] : modules) {
        if (id == module.path)
            continue;
        graph.packages.push_back(package);
        graph.edges.push_back({module.path, id, cargo::DependencyKind::normal});
    }
    return graph;
}

namespace detail {

// The one command under cmd/, else the module path's last element (go build's own choice).
Result<std::string> go_name(const std::filesystem::path& dir) {
    std::error_code ec;
    std::vector<std::string> commands;
    for (const auto& entry : std::filesystem::directory_iterator(dir / "cmd", ec))
        if (entry.is_directory(ec))
            commands.push_back(entry.path().filename().string());
    if (commands.size() == 1)
        return commands.front();
    if (commands.size() > 1) {
        std::sort(commands.begin(), commands.end());
        return fail(ExitCode::usage,
                    fmt::format("rcd init: the module has several commands under cmd/: {}",
                                util::join(commands, ", ")),
                    "write rcd.yaml with 'name: <image name>', 'language: go' and "
                    "'binary: <command>'");
    }
    RCD_ASSIGN(auto text, util::read_file(dir / "go.mod"));
    auto module = parse_go_mod(text);
    auto name = module.path.substr(module.path.rfind('/') + 1);
    if (name.empty())
        return fail(ExitCode::usage, "rcd init: go.mod has no 'module' line",
                    "run go mod init <module path> first");
    return name;
}

Result<std::shared_ptr<const Language>> open_go(const std::filesystem::path& dir,
                                                const pipeline::RepoConfig& config) {
    RCD_ASSIGN(auto text, util::read_file(dir / "go.mod"));
    auto module = parse_go_mod(text);
    if (module.path.empty())
        return fail(ExitCode::usage, fmt::format("{}: no 'module' line", dir / "go.mod"),
                    "start go.mod with 'module example.com/service' (go mod init)");
    return std::make_shared<const Go>(dir, default_target_dir(dir), std::move(module),
                                      config.binary_name());
}

} // namespace detail

} // namespace rcd::lang
