#include "arguments.hpp"

#include "rcd/util/strings.hpp"

#include <algorithm>
#include <filesystem>
#include <fmt/format.h>

namespace rcd::cli {

namespace {

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

} // namespace

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
    else if (which == "--bench")
        sub->add_flag("--bench", s.bench,
                      "also run the bench stage: criterion benches against the last release");
    else if (which == "--bench-baseline")
        sub->add_option("--bench-baseline", s.bench_baseline,
                        "the bench stage compares against REV, not the commit of 'latest'")
            ->type_name("REV");
    else if (which == "bench-action")
        sub->add_option("action", p.bench.action,
                        "run (the bench stage's command) or history (the releases' results)")
            ->type_name("ACTION");
    else if (which == "--baseline")
        sub->add_option("--baseline", p.bench.baseline,
                        "run: compare against REV, not the commit of 'latest'")
            ->type_name("REV");
    else if (which == "--last")
        sub->add_option("--last", p.last, "history: the last N releases (default 10)")
            ->type_name("N");
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
    else if (which == "files")
        sub->add_option("files", p.resolve.files, "deploy files to resolve; - reads standard input")
            ->type_name("FILE...");
    else if (which == "--check")
        sub->add_flag("--check", p.resolve.check,
                      "print nothing; exit 1 when a file pins a digest that is not this release");
    else if (which == "fleet-action")
        sub->add_option("action", p.fleet.action,
                        "release, check, build or plan in each repository; matrix; summary")
            ->type_name("ACTION");
    else if (which == "fleet-dirs")
        sub->add_option("dirs", p.fleet.dirs,
                        "the repositories' directories (summary: the JSON files to join)")
            ->type_name("DIR...");
    else if (which == "--list")
        sub->add_option("--list", p.fleet.list, "the repositories: one directory per line")
            ->type_name("FILE");
    else if (which == "--logs")
        sub->add_option("--logs", p.fleet.logs,
                        "each repository's log and JSON line go here (default .rcd-fleet)")
            ->type_name("DIR");
    else if (which == "--matrix-format")
        sub->add_option("--format", p.fleet.format,
                        "matrix: github (an include list for fromJSON) or gitlab (parallel:matrix)")
            ->type_name("github|gitlab");
    else if (which == "--format")
        sub->add_option("--format", p.format, "spdx (SPDX 2.3, the default) or cyclonedx (1.5)")
            ->type_name("spdx|cyclonedx");
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

std::string HelpFormatter::make_option_opts(const CLI::Option* opt) const {
    if (opt->get_expected_max() == 0)
        return "";
    return " " + opt->get_type_name();
}

std::string HelpFormatter::make_help(const CLI::App* app, std::string name,
                                     CLI::AppFormatMode mode) const {
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
    if (auto e = one_of("--format", p.format, {"spdx", "cyclonedx"}))
        return e;
    if (command == "fleet") {
        if (p.fleet.action.empty())
            return Error{ExitCode::usage, "rcd fleet needs an action",
                         "rcd fleet release|check|build|plan|doctor DIR..., matrix, or summary "
                         "FILE..."};
        if (auto e = one_of("rcd fleet", p.fleet.action,
                            {"release", "check", "build", "plan", "doctor", "matrix", "summary"}))
            return e;
        if (auto e = one_of("--format", p.fleet.format, {"github", "gitlab"}))
            return e;
        if (!p.jobs.empty())
            p.fleet.jobs = p.stages.jobs;
    }
    if (command == "bench") {
        if (p.bench.action.empty())
            return Error{ExitCode::usage, "rcd bench needs an action",
                         "rcd bench run [--baseline REV], or rcd bench history [--last N]"};
        if (auto e = one_of("rcd bench", p.bench.action, {"run", "history"}))
            return e;
        if (!p.last.empty()) {
            auto last = count(p.last, 1, 1000);
            if (!last || p.bench.action != "history")
                return Error{
                    ExitCode::usage,
                    last ? "--last goes with rcd bench history"
                         : fmt::format("--last: '{}' is not a number from 1 to 1000", p.last),
                    "rcd bench history --last 10"};
            p.bench.last = *last;
        }
        if (!p.bench.baseline.empty() && p.bench.action != "run")
            return Error{ExitCode::usage, "--baseline goes with rcd bench run",
                         "rcd bench run --baseline HEAD~1"};
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

} // namespace rcd::cli
