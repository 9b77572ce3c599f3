// rcd's entry point: one table of commands, the options each takes, and the mapping of errors
// to exit codes. What a command does is in src/ops/.
#include "completions.hpp"
#include "version.hpp"

#include "rcd/exec/signals.hpp"
#include "rcd/ops/commands.hpp"
#include "rcd/ops/run.hpp"
#include "rcd/util/strings.hpp"

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fmt/format.h>
#include <functional>
#include <iostream>
#include <unistd.h>

namespace {

using namespace rcd;
using namespace rcd::cli;

// Everything the command line can set.
struct Parsed {
    ops::Invocation global;
    ops::StageOptions stages;
    ops::ReleaseOptions release;
    ops::CacheOptions cache;
    std::string word;                          // cache ACTION, completions SHELL, pipelines show
    std::string name;                          // pipelines show NAME
    std::string jobs;                          // -j, checked into stages.jobs
    std::string keep;                          // --keep, checked into cache.keep
    std::string compression = "gzip";          // --compression, checked into release.publish
    Parsed() { release.publish.push = false; } // rcd image --push; release pushes anyway
};

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

const std::vector<std::string> kStageOptions = {"--only",    "--skip",     "--keep-going", "-j",
                                                "--no-wait", "--no-cache", "--junit"};
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
         {"--only", "--skip", "--no-cache", "--registry", "--tag", "--no-latest", "--allow-dirty",
          "--insecure", "--ca-file"},
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

// Defines one option of a command. Values are checked by rcd afterwards, in its own words.
void add_option(CLI::App* sub, const std::string& which, Parsed& p) {
    auto& s = p.stages;
    auto& r = p.release.publish;
    if (which == "--only")
        sub->add_option("--only", s.only, "run only these stages")
            ->delimiter(',')
            ->type_name("A,B");
    else if (which == "--skip")
        sub->add_option("--skip", s.skip, "skip these stages")->delimiter(',')->type_name("A,B");
    else if (which == "--keep-going")
        sub->add_flag("--keep-going", s.keep_going,
                      "after a failure, run every stage that does not need the failed one");
    else if (which == "-j")
        sub->add_option("-j,--jobs", p.jobs, "stages at once, where 'needs' allows (default 2)")
            ->type_name("N");
    else if (which == "--no-wait")
        sub->add_flag("--no-wait", s.no_wait,
                      "fail at once if another rcd uses the target directory");
    else if (which == "--no-cache")
        sub->add_flag("--no-cache", s.no_cache, "neither restore nor save the dependency cache");
    else if (which == "--junit")
        sub->add_option("--junit", s.junit, "write the test results as JUnit XML")
            ->type_name("FILE");
    else if (which == "--registry")
        sub->add_option("--registry", r.registry,
                        "the registry (default: RCD_REGISTRY, then rcd.yaml)")
            ->type_name("HOST[/PATH]");
    else if (which == "--tag")
        sub->add_option("--tag", r.extra_tags, "also tag the image T (repeatable)")->type_name("T");
    else if (which == "--no-latest")
        sub->add_flag("--no-latest", r.no_latest, "do not move the 'latest' tag");
    else if (which == "--allow-dirty")
        sub->add_flag("--allow-dirty", r.allow_dirty,
                      "release uncommitted changes as <sha>-dirty (never 'latest')");
    else if (which == "--force")
        sub->add_flag("--force", r.force, "replace a commit tag that names another image");
    else if (which == "--compression")
        sub->add_option("--compression", p.compression, "layer compression: gzip or zstd")
            ->type_name("gzip|zstd");
    else if (which == "--insecure")
        sub->add_flag("--insecure", r.connection.insecure,
                      "allow plain HTTP, or HTTPS without verification, for any registry");
    else if (which == "--ca-file")
        sub->add_option("--ca-file", r.connection.ca_file, "also trust this CA for the registry")
            ->type_name("FILE");
    else if (which == "--dotenv")
        sub->add_option("--dotenv", p.release.dotenv,
                        "write RCD_IMAGE=repo@sha256:... and friends to FILE (GitLab dotenv)")
            ->type_name("FILE");
    else if (which == "--image-refs")
        sub->add_option("--image-refs", p.release.image_refs,
                        "write repo@sha256:... to FILE, as ko does")
            ->type_name("FILE");
    else if (which == "--dry-run")
        sub->add_flag("--dry-run", r.dry_run, "do everything except writing to the registry");
    else if (which == "--no-cache-push")
        sub->add_flag("--no-cache-push", p.release.no_cache_push,
                      "do not push the dependency cache to the registry");
    else if (which == "--push")
        sub->add_flag("--push", r.push, "push the image");
    else if (which == "--output")
        sub->add_option("--output", r.outputs,
                        "write the image: oci:DIR or docker-archive:FILE.tar (repeatable)")
            ->type_name("KIND:PATH");
    else if (which == "action")
        sub->add_option("action", p.cache.action, "status, pull, push or prune")
            ->type_name("ACTION");
    else if (which == "--max-size")
        sub->add_option("--max-size", p.cache.max_size,
                        "prune: evict the least recently used until the local cache fits")
            ->type_name("SIZE");
    else if (which == "--remote")
        sub->add_flag("--remote", p.cache.remote,
                      "prune: delete old caches in the registry instead (with --keep)");
    else if (which == "--keep")
        sub->add_option("--keep", p.keep,
                        "prune --remote: the newest caches of each profile to keep (default 3)")
            ->type_name("N");
    else if (which == "shell")
        sub->add_option("shell", p.word, "bash, zsh or fish")->type_name("SHELL")->required();
    else if (which == "show")
        sub->add_option("action", p.word, "'show'")->type_name("show");
    else if (which == "name")
        sub->add_option("name", p.name, "the language whose pipeline to print")->type_name("NAME");
}

// Help as rcd means it: value names without parser notes, and a command's help followed by
// the global options it also takes.
class HelpFormatter : public CLI::Formatter {
  public:
    std::string make_option_opts(const CLI::Option* opt) const override {
        if (opt->get_expected_max() == 0)
            return "";
        return " " + opt->get_type_name();
    }
    std::string make_help(const CLI::App* app, std::string name,
                          CLI::AppFormatMode mode) const override {
        std::string out = CLI::Formatter::make_help(app, name, mode);
        const CLI::App* parent = app->get_parent();
        if (!parent || mode == CLI::AppFormatMode::Sub)
            return out;
        std::vector<const CLI::Option*> global;
        for (const CLI::Option* opt : parent->get_options())
            if (!opt->get_positional() && opt->get_name() != "--help")
                global.push_back(opt);
        return out + make_group("Global options", false, global);
    }
};

// The options of `app` ("--only", "-j"); with `valued`, only those that take a value.
std::vector<std::string> option_names(const CLI::App& app, bool valued = false) {
    std::vector<std::string> names;
    for (const CLI::Option* option : app.get_options()) {
        if (option->get_positional() || (valued && option->get_expected_max() == 0))
            continue;
        for (const auto& n : option->get_lnames())
            names.push_back("--" + n);
        for (const auto& n : option->get_snames())
            names.push_back("-" + n);
    }
    return names;
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

// Walks the command line as the parser does: the command word (the first bare word that is
// not an option's value), and the first option neither rcd nor the command knows.
struct Words {
    std::optional<std::string> command;
    std::optional<std::string> unknown_option;
    bool before_command = false; // the unknown option is a command's, given before the command
};

Words scan(int argc, char** argv, const CLI::App& app,
           const std::map<std::string, CLI::App*>& subs) {
    Words words;
    auto known = option_names(app);
    auto valued = option_names(app, true);
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--")
            break;
        if (arg.starts_with('-') && arg.size() > 1) {
            std::string name = arg.substr(0, arg.find('='));
            if (!contains(known, name) && !words.unknown_option) {
                words.unknown_option = name;
                if (!words.command)
                    for (const auto& [command, sub] : subs)
                        if (contains(option_names(*sub), name)) {
                            words.before_command = true;
                            if (contains(option_names(*sub, true), name) && name == arg)
                                ++i; // its value is not the command
                            break;
                        }
            }
            if (contains(valued, name) && name == arg)
                ++i;
            continue;
        }
        if (words.command)
            continue;
        words.command = arg;
        if (auto it = subs.find(arg); it != subs.end()) {
            auto own = option_names(*it->second);
            known.insert(known.end(), own.begin(), own.end());
            auto own_valued = option_names(*it->second, true);
            valued.insert(valued.end(), own_valued.begin(), own_valued.end());
        }
    }
    return words;
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

// An option neither rcd nor the command knows, with "did you mean".
Error unknown_option(const std::string& flag, const CLI::App& app, const CLI::App* sub,
                     const std::string& command) {
    auto names = option_names(app);
    if (sub) {
        auto own = option_names(*sub);
        names.insert(names.end(), own.begin(), own.end());
    }
    std::string hint =
        fmt::format("run 'rcd {}--help' for its options", command.empty() ? "" : command + " ");
    if (auto suggestion = util::closest_match(flag, names))
        hint = fmt::format("did you mean '{}'?", *suggestion);
    return Error{ExitCode::usage,
                 command.empty() ? fmt::format("unknown option '{}'", flag)
                                 : fmt::format("rcd {}: unknown option '{}'", command, flag),
                 hint};
}

// The parser's other complaints, in rcd's words where it has them.
Error parse_error(const CLI::ParseError& e, const std::string& command) {
    std::string text = e.what();
    std::string hint =
        fmt::format("run 'rcd {}--help' for usage", command.empty() ? "" : command + " ");
    if (dynamic_cast<const CLI::ArgumentMismatch*>(&e)) {
        std::string option = text.substr(0, text.find(':'));
        return Error{ExitCode::usage, fmt::format("{} needs a value", option), hint};
    }
    if (dynamic_cast<const CLI::ExtrasError*>(&e)) {
        auto colon = text.find(": ");
        std::string extra = colon == std::string::npos ? text : text.substr(colon + 2);
        return Error{ExitCode::usage,
                     fmt::format("'{}' was not expected here", extra.substr(0, extra.find(' '))),
                     hint};
    }
    return Error{ExitCode::usage, text, hint};
}

// Values the parser takes as text, checked here so that mistakes read like rcd's others.
std::optional<Error> check_values(Parsed& p, const std::string& command) {
    auto one_of = [](const std::string& what, const std::string& value,
                     const std::vector<std::string>& allowed) -> std::optional<Error> {
        if (std::find(allowed.begin(), allowed.end(), value) != allowed.end())
            return std::nullopt;
        std::string hint = fmt::format("{} takes {}", what, util::join(allowed, ", "));
        if (auto suggestion = util::closest_match(value, allowed))
            hint = fmt::format("did you mean '{}'?", *suggestion);
        return Error{ExitCode::usage, fmt::format("{}: '{}' is not one of them", what, value),
                     hint};
    };
    // A whole number from `low` to `high`, or nothing.
    auto count = [](const std::string& text, int low, int high) -> std::optional<int> {
        if (text.empty() || text.size() > 6 ||
            text.find_first_not_of("0123456789") != std::string::npos)
            return std::nullopt;
        int n = std::stoi(text);
        return n >= low && n <= high ? std::optional<int>(n) : std::nullopt;
    };
    if (auto e = one_of("--color", p.global.color, {"auto", "always", "never"}))
        return e;
    if (!p.jobs.empty()) {
        auto jobs = count(p.jobs, 1, 64);
        if (!jobs)
            return Error{ExitCode::usage, fmt::format("-j: '{}' is not a number of stages", p.jobs),
                         "give a number from 1 to 64"};
        p.stages.jobs = *jobs;
    }
    if (auto e = one_of("--compression", p.compression, {"gzip", "zstd"}))
        return e;
    p.release.publish.compression =
        p.compression == "zstd" ? image::Compression::zstd : image::Compression::gzip;
    if (!p.keep.empty()) {
        auto keep = count(p.keep, 0, 999'999);
        if (!keep || !p.cache.remote)
            return Error{ExitCode::usage,
                         keep ? "--keep goes with prune --remote"
                              : fmt::format("--keep: '{}' is not a number", p.keep),
                         "rcd cache prune --remote --keep 3"};
        p.cache.keep = *keep;
    }
    if (command == "cache") {
        if (p.cache.action.empty())
            return Error{ExitCode::usage, "rcd cache needs an action",
                         "rcd cache status, pull, push or prune"};
        if (auto e = one_of("rcd cache", p.cache.action, {"status", "pull", "push", "prune"}))
            return e;
        if (p.cache.action != "prune" && (p.cache.remote || !p.cache.max_size.empty()))
            return Error{ExitCode::usage,
                         fmt::format("{} goes with rcd cache prune",
                                     p.cache.remote ? "--remote" : "--max-size"),
                         "rcd cache prune --max-size 2G, or rcd cache prune --remote --keep 3"};
    }
    if (command == "completions")
        if (auto e = one_of("rcd completions", p.word, {"bash", "zsh", "fish"}))
            return e;
    std::error_code ec;
    const auto& ca_file = p.release.publish.connection.ca_file;
    if (!ca_file.empty() && !std::filesystem::is_regular_file(ca_file, ec))
        return Error{ExitCode::usage, fmt::format("--ca-file: {} is not a file", ca_file),
                     "give the PEM file of the CA that signed the registry's certificate"};
    if (p.global.quiet && p.global.verbose)
        return Error{ExitCode::usage, "-q and -v cannot be used together", "choose one of them"};
    return std::nullopt;
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

} // namespace

int main(int argc, char** argv) {
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
