// rcd's entry point: one table of commands, global options, and the mapping of errors to
// exit codes.
#include "commands.hpp"
#include "completions.hpp"
#include "context.hpp"

#include "rcd/util/strings.hpp"

#include <CLI/CLI.hpp>
#include <csignal>
#include <functional>
#include <iostream>

namespace {

using namespace rcd;
using namespace rcd::cli;

struct CommandRow {
    const char* name;
    const char* description;
    bool runs_stages; // takes --only, --skip, --keep-going, -j, --no-wait
};

const std::vector<CommandRow> kCommands = {
    {"check", "run the check stages (fmt, clippy, test, doctest): what a pull request needs", true},
    {"build", "run check, then the release build", true},
    {"release", "build, then assemble the image, tag it by commit and push it", true},
    {"image", "assemble the image from the last build: --push, --output oci:DIR", false},
    {"plan", "show what a release would run, without running it", true},
    {"cache", "the dependency cache: status, pull, push, or prune --max-size SIZE", false},
    {"init", "write a minimal rcd.yaml for the repository in front of it", false},
    {"doctor", "check the toolchain, the repository, the configuration and the registry", false},
    {"pipelines", "list the pipelines rcd knows, or print one with 'show NAME'", false},
    {"completions", "print a completion script: bash, zsh or fish", false},
    {"version", "print rcd's version and the versions of its libraries", false},
};

// Global options that take a value, so the first bare word after them is not a command.
const std::vector<std::string> kValueOptions = {
    "-C",     "-f",         "--file", "--color",   "--pipelines",   "--only",   "--skip",    "-j",
    "--jobs", "--registry", "--tag",  "--ca-file", "--compression", "--output", "--max-size"};

// CLI11 reports an unknown command as an unexpected argument; find it first and suggest.
std::optional<std::string> unknown_command(int argc, char** argv) {
    std::vector<std::string> names;
    for (const auto& row : kCommands)
        names.emplace_back(row.name);
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--")
            return std::nullopt;
        if (!arg.empty() && arg[0] == '-') {
            bool takes_value =
                std::find(kValueOptions.begin(), kValueOptions.end(), arg) != kValueOptions.end();
            if (takes_value)
                ++i;
            continue;
        }
        if (std::find(names.begin(), names.end(), arg) != names.end())
            return std::nullopt;
        return arg;
    }
    return std::nullopt;
}

} // namespace

int main(int argc, char** argv) {
    // A closed pipe (`rcd check 2>&1 | head`) must not kill rcd while its stages run: they
    // would be left behind. Writes fail instead; stages get the default back (exec/process.cpp).
    std::signal(SIGPIPE, SIG_IGN);
    GlobalOptions global;
    StageOptions stages;
    ReleaseOptions release;
    CacheOptions cache;
    std::string show_what;
    std::string show_name;

    CLI::App app{"rcd: from a commit of a Rust service to a pushed container image", "rcd"};
    app.require_subcommand(1);
    app.add_option("-C", global.dir, "run as if started in DIR")->type_name("DIR");
    app.add_option("-f,--file", global.config_file, "use this rcd.yaml")->type_name("FILE");
    app.add_option("--pipelines", global.pipelines_dir, "look for pipelines in DIR first")
        ->type_name("DIR");
    app.add_flag("--json", global.json, "print one JSON document on stdout at the end");
    app.add_flag("-q,--quiet", global.quiet, "print only errors and the final line");
    app.add_flag("-v,--verbose", global.verbose, "also print commands and decisions");
    app.add_option("--color", global.color, "colour: auto, always or never (NO_COLOR honoured)")
        ->check(CLI::IsMember({"auto", "always", "never"}));
    app.add_flag("--ci", global.ci_flag, "CI mode: no spinners or colour (default: $CI)");
    app.add_flag("--no-ci", global.no_ci_flag, "not CI mode, even with CI=true");

    std::function<int()> handler;
    for (const auto& row : kCommands) {
        CLI::App* sub = app.add_subcommand(row.name, row.description);
        sub->fallthrough();
        std::string name = row.name;
        if (row.runs_stages) {
            sub->add_option("--only", stages.only, "run only these stages")
                ->delimiter(',')
                ->type_name("A,B");
            sub->add_option("--skip", stages.skip, "skip these stages")
                ->delimiter(',')
                ->type_name("A,B");
            sub->add_flag("--keep-going", stages.keep_going,
                          "after a failure, run every stage that does not need the failed one");
            sub->add_option("-j,--jobs", stages.jobs,
                            "stages at once, where 'needs' allows (default 2)")
                ->check(CLI::Range(1, 64));
            sub->add_flag("--no-wait", stages.no_wait,
                          "fail at once if another rcd uses the target directory");
            sub->add_flag("--no-cache", stages.no_cache,
                          "neither restore nor save the dependency cache");
            if (name != "plan")
                sub->add_option("--junit", stages.junit, "write the test results as JUnit XML")
                    ->type_name("FILE");
        }
        if (name == "release" || name == "image" || name == "plan" || name == "cache" ||
            name == "init" || name == "doctor")
            sub->add_option("--registry", release.registry,
                            "the registry (default: RCD_REGISTRY, then rcd.yaml)")
                ->type_name("HOST[/PATH]");
        if (name == "doctor")
            sub->add_flag("--allow-dirty", release.allow_dirty,
                          "a dirty tree is not a problem (release --allow-dirty)");
        if (name == "release" || name == "image" || name == "plan") {
            sub->add_option("--tag", release.tags, "also tag the image T (repeatable)")
                ->type_name("T");
            sub->add_flag("--no-latest", release.no_latest, "do not move the 'latest' tag");
            sub->add_flag("--allow-dirty", release.allow_dirty,
                          "release uncommitted changes as <sha>-dirty (never 'latest')");
        }
        if (name == "release" || name == "image") {
            sub->add_flag("--force", release.force,
                          "replace a commit tag that names another image");
            sub->add_option("--compression", release.compression, "layer compression: gzip or zstd")
                ->check(CLI::IsMember({"gzip", "zstd"}));
        }
        if (name == "release" || name == "image" || name == "cache" || name == "doctor") {
            sub->add_flag("--insecure", release.insecure,
                          "allow plain HTTP, or HTTPS without verification, for any registry");
            sub->add_option("--ca-file", release.ca_file, "trust this CA for the registry")
                ->type_name("FILE")
                ->check(CLI::ExistingFile);
        }
        if (name == "release") {
            sub->add_flag("--dry-run", release.dry_run,
                          "do everything except writing to the registry");
            sub->add_flag("--no-cache-push", release.no_cache_push,
                          "do not push the dependency cache to the registry");
        }
        if (name == "cache") {
            sub->add_option("action", cache.action, "status, pull, push or prune")
                ->required()
                ->check(CLI::IsMember({"status", "pull", "push", "prune"}));
            sub->add_option("--max-size", cache.max_size,
                            "prune: evict the least recently used until the cache fits")
                ->type_name("SIZE");
        }
        if (name == "image") {
            sub->add_flag("--push", release.push, "push the image");
            sub->add_option("--output", release.outputs,
                            "write the image: oci:DIR or docker-archive:FILE.tar (repeatable)");
        }
        if (name == "completions")
            sub->add_option("shell", show_name, "bash, zsh or fish")
                ->required()
                ->check(CLI::IsMember({"bash", "zsh", "fish"}));
        if (name == "pipelines") {
            sub->add_option("action", show_what, "'show'")->check(CLI::IsMember({"show"}));
            sub->add_option("name", show_name, "the language whose pipeline to print");
        }
        sub->callback([&, name] {
            if (name == "check" || name == "build")
                handler = [&, name] { return run_stages_command(name, global, stages); };
            else if (name == "plan")
                handler = [&] { return plan_command(global, stages, release); };
            else if (name == "release")
                handler = [&] { return release_command(global, stages, release); };
            else if (name == "image")
                handler = [&] { return image_command(global, release); };
            else if (name == "cache")
                handler = [&] { return cache_command(global, cache, release); };
            else if (name == "init")
                handler = [&] { return init_command(global, release); };
            else if (name == "doctor")
                handler = [&] { return doctor_command(global, release); };
            else if (name == "completions")
                handler = [&] {
                    std::cout << *completion_script(show_name, app);
                    return 0;
                };
            else if (name == "pipelines")
                handler = [&] {
                    if (show_what == "show" && show_name.empty())
                        return report_error(global, "pipelines",
                                            Error{ExitCode::usage, "'pipelines show' needs a name",
                                                  "for example: rcd pipelines show rust"});
                    return pipelines_command(global, show_name);
                };
            else if (name == "version")
                handler = [&] { return version_command(global); };
        });
    }

    if (auto unknown = unknown_command(argc, argv)) {
        std::vector<std::string> names;
        for (const auto& row : kCommands)
            names.emplace_back(row.name);
        std::string hint = "run 'rcd --help' for the list of commands";
        if (auto suggestion = util::closest_match(*unknown, names))
            hint = "did you mean 'rcd " + *suggestion + "'?";
        return report_error(global, *unknown,
                            Error{ExitCode::usage, "unknown command '" + *unknown + "'", hint});
    }

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::string message = e.what();
        if (dynamic_cast<const CLI::RequiredError*>(&e) &&
            message.find("subcommand") != std::string::npos)
            message = "no command given";
        return report_error(global, "rcd",
                            Error{ExitCode::usage, message, "run 'rcd --help' for usage"});
    }
    if (global.quiet && global.verbose)
        return report_error(
            global, "rcd",
            Error{ExitCode::usage, "-q and -v cannot be used together", "choose one of them"});
    return handler ? handler() : 2;
}
