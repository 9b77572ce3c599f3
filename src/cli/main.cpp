// rcd's entry point: one table of commands, the options each takes, and the mapping of errors
// to exit codes. What a command does is in src/ops/.
#include "arguments.hpp"
#include "completions.hpp"
#include "version.hpp"

#include "rcd/exec/signals.hpp"
#include "rcd/ops/commands.hpp"
#include "rcd/ops/run.hpp"
#include "rcd/util/strings.hpp"

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <unistd.h>

namespace {

using namespace rcd;
using namespace rcd::cli;

// Prints an error as two lines (or as the JSON document with --json); returns its exit code.
int report_error(const ops::Invocation& global, const std::string& command, const Error& error) {
    if (global.json) {
        report::RunReport report;
        report.command = command;
        report.directory = global.absolute_dir();
        report.exit_code = static_cast<int>(error.code);
        report.error = error;
        ops::print_json(report::to_json(report));
    }
    ops::finish_result(error);
    ops::make_reporter(global).error(error);
    return static_cast<int>(error.code);
}

// What an operation returned, as the process's exit code.
int exit_code(const ops::Invocation& global, const std::string& command, const Result<int>& run) {
    return run ? *run : report_error(global, command, run.error());
}

struct CommandRow {
    const char* name;
    const char* description;
    std::vector<std::string> options; // the command's own options, by name (see add_option)
    std::function<int(Parsed&, CLI::App&)> run;
};

const std::vector<std::string> kStageOptions = {"--only",  "--skip",    "--keep-going",
                                                "-j",      "--no-wait", "--no-cache",
                                                "--junit", "--bench",   "--bench-baseline"};
const std::vector<std::string> kImageOptions = {
    "--registry",    "--tag",      "--no-latest", "--allow-dirty", "--force",
    "--compression", "--insecure", "--ca-file",   "--dotenv",      "--image-refs"};

std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

const std::vector<CommandRow>& commands() {
    static const std::vector<CommandRow> rows = {
        {"check", "run the check stages (fmt, clippy, test, doctest): what a pull request needs",
         kStageOptions,
         [](Parsed& p, CLI::App&) {
             return exit_code(p.global, "check", ops::check("check", p.global, p.stages));
         }},
        {"build", "run check, then the release build", kStageOptions,
         [](Parsed& p, CLI::App&) {
             return exit_code(p.global, "build", ops::check("build", p.global, p.stages));
         }},
        {"release", "build, then assemble the image, tag it by commit and push it",
         kStageOptions + kImageOptions + std::vector<std::string>{"--dry-run", "--no-cache-push"},
         [](Parsed& p, CLI::App&) {
             return exit_code(p.global, "release", ops::release(p.global, p.stages, p.release));
         }},
        {"image", "assemble the image from the last build: --push, --output oci:DIR",
         kImageOptions + std::vector<std::string>{"--push", "--output"},
         [](Parsed& p, CLI::App&) {
             return exit_code(p.global, "image", ops::image(p.global, p.release));
         }},
        {"plan",
         "show what a release would run, without running it",
         {"--only", "--skip", "--no-cache", "--bench", "--registry", "--tag", "--no-latest",
          "--allow-dirty", "--insecure", "--ca-file"},
         [](Parsed& p, CLI::App&) {
             return exit_code(p.global, "plan", ops::plan(p.global, p.stages, p.release));
         }},
        {"cache",
         "the dependency cache: status, pull, push, or prune",
         {"action", "--max-size", "--remote", "--keep", "--registry", "--insecure", "--ca-file"},
         [](Parsed& p, CLI::App&) {
             return exit_code(p.global, "cache " + p.cache.action,
                              ops::cache(p.global, p.cache, p.release));
         }},
        {"init",
         "write a minimal rcd.yaml for the repository in front of it",
         {"--registry"},
         [](Parsed& p, CLI::App&) {
             return exit_code(p.global, "init", ops::init(p.global, p.release.publish.registry));
         }},
        {"doctor",
         "check the toolchain, the repository, the configuration and the registry",
         {"--registry", "--allow-dirty", "--insecure", "--ca-file"},
         [](Parsed& p, CLI::App&) {
             return exit_code(p.global, "doctor", ops::doctor(p.global, p.release));
         }},
        {"resolve",
         "print deploy files with rcd://NAME and the image's tags pinned to this commit's digest",
         {"files", "--check", "--registry", "--insecure", "--ca-file"},
         [](Parsed& p, CLI::App&) {
             return exit_code(p.global, "resolve",
                              ops::resolve(p.global, p.resolve, p.release.publish));
         }},
        {"fleet",
         "run release, check, build or plan in many repositories at once; matrix; summary",
         {"fleet-action", "fleet-dirs", "-j", "--list", "--logs", "--matrix-format"},
         [](Parsed& p, CLI::App&) {
             return exit_code(p.global, "fleet", ops::fleet(p.global, p.fleet));
         }},
        {"bench",
         "criterion benches against the last release: run (the bench stage), or history",
         {"bench-action", "--baseline", "--last", "--registry", "--insecure", "--ca-file"},
         [](Parsed& p, CLI::App&) {
             return exit_code(p.global, "bench " + p.bench.action,
                              ops::bench(p.global, p.bench, p.release.publish));
         }},
        {"sbom",
         "print the SBOM of the binary a release ships (the packages it is built from)",
         {"--format"},
         [](Parsed& p, CLI::App&) {
             return exit_code(p.global, "sbom", ops::sbom(p.global, p.format));
         }},
        {"pipelines",
         "list the pipelines rcd knows, or print one with 'show NAME'",
         {"show", "name"},
         [](Parsed& p, CLI::App&) {
             if (!p.word.empty() && p.word != "show")
                 return report_error(p.global, "pipelines",
                                     Error{ExitCode::usage,
                                           fmt::format("unknown action '{}'", p.word),
                                           "rcd pipelines, or rcd pipelines show NAME"});
             if (p.word == "show" && p.name.empty())
                 return report_error(p.global, "pipelines",
                                     Error{ExitCode::usage, "'pipelines show' needs a name",
                                           "for example: rcd pipelines show rust"});
             return exit_code(p.global, "pipelines", ops::pipelines(p.global, p.name));
         }},
        {"completions",
         "print a completion script: bash, zsh or fish",
         {"shell"},
         [](Parsed& p, CLI::App& app) {
             auto script = completion_script(p.word, app);
             if (!script)
                 return report_error(p.global, "completions",
                                     Error{ExitCode::usage,
                                           fmt::format("no completions for '{}'", p.word),
                                           "rcd completions bash, zsh or fish"});
             std::cout << *script;
             return 0;
         }},
        {"version",
         "print rcd's version and the versions of its libraries",
         {},
         [](Parsed& p, CLI::App&) { return version_command(p.global); }},
    };
    return rows;
}

Error unknown_command(const std::string& word) {
    std::vector<std::string> names;
    for (const auto& row : commands())
        names.emplace_back(row.name);
    std::string hint = "run 'rcd --help' for the list of commands";
    if (auto suggestion = util::closest_match(word, names))
        hint = "did you mean 'rcd " + *suggestion + "'?";
    return Error{ExitCode::usage, "unknown command '" + word + "'", hint};
}

} // namespace

namespace {

int run(int argc, char** argv) {
    Parsed p;
    // --json holds for errors found before or while parsing, too.
    for (int i = 1; i < argc && std::string_view(argv[i]) != "--"; ++i)
        p.global.json = p.global.json || std::string_view(argv[i]) == "--json";

    CLI::App app{"rcd: from a commit of a Rust service to a pushed container image", "rcd"};
    app.formatter(std::make_shared<HelpFormatter>());
    app.require_subcommand(1);
    app.add_option("-C", p.global.dir, "run as if started in DIR")->type_name("DIR");
    app.add_option("-f,--file", p.global.config_file, "use this rcd.yaml")->type_name("FILE");
    app.add_option("--pipelines", p.global.pipelines_dir, "look for pipelines in DIR first")
        ->type_name("DIR");
    app.add_flag("--json", p.global.json, "print one JSON document on stdout at the end");
    app.add_flag("-q,--quiet", p.global.quiet, "print only errors and the final line");
    app.add_flag("-v,--verbose", p.global.verbose, "also print commands and decisions");
    app.add_option("--color", p.global.color, "colour: auto, always or never (NO_COLOR honoured)")
        ->type_name("WHEN");
    app.add_flag("--ci", p.global.ci_flag, "CI mode: no spinners or colour (default: $CI)");
    app.add_flag("--no-ci", p.global.no_ci_flag, "not CI mode, even with CI=true");

    std::map<std::string, CLI::App*> subs;
    for (const auto& row : commands()) {
        CLI::App* sub = app.add_subcommand(row.name, row.description);
        sub->fallthrough();
        for (const auto& option : row.options)
            add_option(sub, option, p);
        subs[row.name] = sub;
    }

    auto words = scan(argc, argv, app, subs);
    const auto& word = words.command;
    const std::string command = word && subs.contains(*word) ? *word : "";
    const std::string label = command.empty() ? "rcd" : command; // what errors name
    if (words.unknown_option && words.before_command)
        return report_error(
            p.global, label,
            Error{ExitCode::usage,
                  fmt::format("'{}' is an option of a command, given before the command",
                              *words.unknown_option),
                  fmt::format("put it after the command: rcd {} {} ...",
                              command.empty() ? "check" : command, *words.unknown_option)});
    if (word && !subs.contains(*word))
        return report_error(p.global, *word, unknown_command(*word));
    const CLI::App* sub = word ? subs[*word] : nullptr;
    if (words.unknown_option)
        return report_error(p.global, label,
                            unknown_option(*words.unknown_option, app, sub, command));
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        Error error = parse_error(e, command);
        if (dynamic_cast<const CLI::RequiredError*>(&e) && !word)
            error = Error{ExitCode::usage, "no command given", "run 'rcd --help' for usage"};
        return report_error(p.global, label, error);
    }
    if (auto error = check_values(p, command))
        return report_error(p.global, command, *error);
    for (const auto& row : commands())
        if (subs[row.name]->parsed())
            return row.run(p, app);
    return report_error(p.global, "rcd",
                        Error{ExitCode::usage, "no command given", "run 'rcd --help' for usage"});
}

// What no code path expected: a message and exit 5, never an abort (134) or a stale record.
[[noreturn]] void internal_error(const std::string& what) {
    rcd::Error error{rcd::ExitCode::filesystem, fmt::format("internal error: {}", what),
                     "this is a bug in rcd; please report it with the command that caused it"};
    rcd::ops::finish_result(error);
    std::fputs(fmt::format("error: {}\n  hint: {}\n", error.message, error.hint).c_str(), stderr);
    std::fflush(stderr);
    ::_exit(static_cast<int>(rcd::ExitCode::filesystem));
}

// rcd and its stages touch a lot of fresh memory: a layer and its tar, an archive's files on
// their way to disk, rustc's heap. Where transparent huge pages are given to a process that asks
// (the usual `madvise` setting), glibc asks for them when GLIBC_TUNABLES says
// glibc.malloc.hugetlb=1, read once at start: so rcd starts itself again with it, once, for
// itself and its children. A 2 MiB page faults in once where 512 small ones would each fault,
// which on a VM whose memory goes back to the host costs ~12 us a page. Starting again costs
// ~25 ms, so only the commands that build or move archives do. RCD_HUGEPAGES=0 or a
// GLIBC_TUNABLES that names hugetlb leaves the process as it is.
void ask_for_huge_pages(int argc, char** argv) {
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__) // their own allocators
    bool heavy = false;
    for (int i = 1; i < argc; ++i)
        for (const char* command : {"check", "build", "release", "image", "cache"})
            heavy = heavy || std::string_view(argv[i]) == command;
    if (!heavy)
        return;
    const char* opt_out = std::getenv("RCD_HUGEPAGES");
    std::optional<std::string> tunables; // a copy: setenv may replace what getenv pointed at
    if (const char* value = std::getenv("GLIBC_TUNABLES"))
        tunables = value;
    if ((opt_out && std::string_view(opt_out) == "0") ||
        (tunables && tunables->find("glibc.malloc.hugetlb") != std::string::npos))
        return;
    std::ifstream mode_file("/sys/kernel/mm/transparent_hugepage/enabled");
    std::string mode;
    std::getline(mode_file, mode);
    if (mode.find("[madvise]") == std::string::npos)
        return; // `always` needs no asking, `never` will not give
    std::string value = tunables && !tunables->empty() ? *tunables + ":" : "";
    value += "glibc.malloc.hugetlb=1";
    if (::setenv("GLIBC_TUNABLES", value.c_str(), 1) != 0)
        return;
    ::execv("/proc/self/exe", argv);
    // Could not start again (no /proc): go on as we are, children included.
    if (tunables)
        ::setenv("GLIBC_TUNABLES", tunables->c_str(), 1);
    else
        ::unsetenv("GLIBC_TUNABLES");
#else
    (void)argc;
    (void)argv;
#endif
}

} // namespace

int main(int argc, char** argv) {
    ask_for_huge_pages(argc, argv);
    // A closed pipe (`rcd check 2>&1 | head`) must not kill rcd while its stages run: they
    // would be left behind. Writes fail instead; stages get the default back (exec/process.cpp).
    std::signal(SIGPIPE, SIG_IGN);
    // Ctrl-C or a CI runner's SIGTERM: the stages stop in order, and whatever cannot stop by
    // itself within the grace period is cut short, with no child left behind.
    rcd::exec::install_process_guard(std::chrono::milliseconds(1500), [] {
        rcd::ops::finish_result(
            rcd::Error{rcd::ExitCode::interrupted, "interrupted", "run the command again"});
    });
    // An exception on another thread ends in std::terminate: the same message and exit code.
    std::set_terminate([] {
        std::string what = "an unexpected exception";
        if (auto current = std::current_exception()) {
            try {
                std::rethrow_exception(current);
            } catch (const std::exception& e) {
                what = e.what();
            } catch (...) {
            }
        }
        internal_error(what);
    });
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        internal_error(e.what());
    }
}
