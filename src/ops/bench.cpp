// rcd bench run: the bench stage. Builds the baseline commit's benches (a checkout of it in
// rcd's cache directory, built into target/rcd/bench/target) and the candidate's, runs both
// alternately on this machine, judges each benchmark, and writes target/rcd/bench/result.json.
// rcd bench history: the releases' results.
#include "rcd/ops/bench.hpp"

#include "push.hpp"
#include "rcd/cache/local_store.hpp"
#include "rcd/exec/process.hpp"
#include "rcd/exec/signals.hpp"
#include "rcd/git/repository.hpp"
#include "rcd/ops/commands.hpp"
#include "rcd/ops/stages.hpp"
#include "rcd/registry/reference.hpp"
#include "rcd/util/duration.hpp"
#include "rcd/util/fs.hpp"
#include "rcd/util/hash.hpp"
#include "rcd/util/log.hpp"
#include "rcd/util/strings.hpp"
#include "session.hpp"

#include <chrono>
#include <cstdlib>
#include <fmt/format.h>
#include <iostream>
#include <sstream>

namespace rcd::ops {

namespace {

// criterion's settings for one run of one side: short runs, many of them (docs/bench.md).
const std::vector<std::string> kCriterionArguments = {
    "--bench", "--noplot",     "--sample-size", "20", "--warm-up-time", "1", "--measurement-time",
    "1",       "--nresamples", "1000"};

std::filesystem::path bench_dir(const Project& project) {
    return project.rcd_dir() / "bench";
}

// A bench executable cargo built, and the package directory cargo runs it in.
struct Executable {
    std::filesystem::path path;
    std::filesystem::path cwd;
    std::string name; // the bench target's
};

// `cargo bench --no-run` in `dir`, into `target_dir`: the bench executables.
Result<std::vector<Executable>> build_benches(const std::filesystem::path& dir,
                                              const std::filesystem::path& target_dir,
                                              const std::string& what, int interrupt_fd,
                                              std::ostream& out) {
    exec::Command command;
    command.argv = {"cargo",    "bench",    "--workspace",
                    "--no-run", "--locked", "--message-format=json-render-diagnostics"};
    command.cwd = dir;
    command.env["CARGO_TARGET_DIR"] = target_dir.string();
    const auto started = std::chrono::steady_clock::now();
    RCD_ASSIGN(auto captured, exec::capture(command, interrupt_fd));
    std::vector<Executable> built;
    std::string text; // what is not cargo's JSON: its progress and rendered diagnostics
    std::istringstream lines(captured.output);
    for (std::string line; std::getline(lines, line);) {
        auto doc = line.starts_with("{") ? nlohmann::json::parse(line, nullptr, false)
                                         : nlohmann::json(nullptr);
        if (!doc.is_object()) {
            text += line + "\n";
            continue;
        }
        if (doc.value("reason", "") != "compiler-artifact" || !doc.contains("executable") ||
            !doc["executable"].is_string() || !doc.contains("target"))
            continue;
        const auto kinds = doc["target"].value("kind", nlohmann::json::array());
        if (std::find(kinds.begin(), kinds.end(), "bench") == kinds.end())
            continue;
        Executable exe;
        exe.path = doc["executable"].get<std::string>();
        exe.cwd = std::filesystem::path(doc.value("manifest_path", "")).parent_path();
        exe.name = doc["target"].value("name", "");
        built.push_back(std::move(exe));
    }
    if (captured.exit_code != 0)
        return fail(ExitCode::stage_failed,
                    fmt::format("the {}'s benches do not build (cargo bench exited {})", what,
                                captured.exit_code),
                    util::printable(text, 4000));
    std::vector<std::string> names;
    for (const auto& exe : built)
        names.push_back(exe.name);
    out << fmt::format("built the {}'s benches in {}: {}\n", what,
                       util::format_duration_ms(util::elapsed_ms(started)),
                       names.empty() ? "none" : util::join(names, ", "))
        << std::flush;
    return built;
}

// The executables linked (or copied) into `to`, under their target names: both sides' paths
// then have the same length, as their CRITERION_HOME directories do. What a process gets as
// arguments and environment moves where its stack starts, and a benchmark that is sensitive
// to alignment would otherwise tell the two sides apart by their paths alone.
Result<std::vector<Executable>> place(const std::vector<Executable>& executables,
                                      const std::filesystem::path& to) {
    std::error_code ec;
    std::filesystem::remove_all(to, ec);
    RCD_CHECK(util::create_directories(to));
    std::vector<Executable> placed;
    for (auto exe : executables) {
        const auto target = to / exe.name;
        std::filesystem::create_hard_link(exe.path, target, ec);
        if (ec)
            std::filesystem::copy_file(exe.path, target, ec);
        if (ec)
            return fail(ExitCode::filesystem,
                        fmt::format("cannot place {} at {}: {}", exe.path.string(), target.string(),
                                    ec.message()));
        exe.path = target;
        placed.push_back(std::move(exe));
    }
    return placed;
}

// One round of one side: each executable once, criterion's files under `home`.
Result<std::map<std::string, bench::Round>> run_side(const std::vector<Executable>& executables,
                                                     const std::filesystem::path& home,
                                                     int interrupt_fd) {
    std::error_code ec;
    std::filesystem::remove_all(home, ec);
    RCD_CHECK(util::create_directories(home));
    for (const auto& exe : executables) {
        exec::Command command;
        command.argv = {exe.path.string()};
        command.argv.insert(command.argv.end(), kCriterionArguments.begin(),
                            kCriterionArguments.end());
        command.cwd = exe.cwd;
        command.env["CRITERION_HOME"] = home.string();
        RCD_ASSIGN(auto captured, exec::capture(command, interrupt_fd));
        if (captured.exit_code != 0)
            return fail(ExitCode::stage_failed,
                        fmt::format("bench '{}' exited {}", exe.name, captured.exit_code),
                        util::printable(captured.output, 4000));
    }
    return bench::read_criterion(home);
}

Status write_results(const Project& project, const bench::Results& results) {
    return util::write_file_atomic(bench_dir(project) / "result.json",
                                   bench::to_json(results).dump(2) + "\n");
}

Result<BenchBaseline> baseline_from_environment(const Project& project, const std::string& value) {
    const auto space = value.find(' ');
    const std::string first = value.substr(0, space);
    const std::string rest = space == std::string::npos ? "" : value.substr(space + 1);
    if (first == "-")
        return BenchBaseline{std::nullopt, rest};
    RCD_ASSIGN(auto commit, git::find_commit(project.repo->root, first));
    return BenchBaseline{commit.sha, rest};
}

Result<int> bench_run(const Invocation& invocation, const BenchOptions& bench_options,
                      const PublishOptions& options) {
    RCD_ASSIGN(auto project, open_project(invocation));
    if (!project.repo)
        return std::unexpected(project.repo.error().with_context("rcd bench"));
    if (!project.workspace || !project.workspace->has_benches())
        return fail(ExitCode::usage, "rcd bench: no bench target in the workspace",
                    "add a criterion bench (benches/NAME.rs with harness = false); see "
                    "docs/bench.md");
    // The stage's child runs under the lock its parent holds.
    std::optional<exec::DirectoryLock> lock;
    const char* held = std::getenv(kLockHeldEnv);
    if (!held || (project.rcd_dir() / "lock").string() != held) {
        RCD_ASSIGN(auto taken, lock_target(project, true));
        lock.emplace(std::move(taken));
    }

    BenchBaseline baseline;
    if (!bench_options.baseline.empty()) {
        RCD_ASSIGN(baseline, find_bench_baseline(project, bench_options.baseline, options));
    } else if (const char* given = std::getenv(kBenchBaselineEnv); given && *given) {
        RCD_ASSIGN(baseline, baseline_from_environment(project, given));
    } else {
        RCD_ASSIGN(baseline, find_bench_baseline(project, "", options));
    }

    // What people read goes to stdout (the stage's log), or to stderr under --json, whose
    // stdout is the one document.
    std::ostream& out = invocation.json ? std::cerr : std::cout;
    exec::InterruptGuard interrupts;
    const auto dir = bench_dir(project);
    (void)std::filesystem::remove(dir / "result.json");
    const auto& config = project.config.bench;
    bench::Results results;
    results.name = project.config.name;
    results.commit = project.repo->commit;
    results.commit_time = project.repo->commit_time;
    results.settings.min_effect = config.min_effect;
    results.fail_on = config.fail_on;
    results.baseline_source = baseline.source;

    std::vector<Executable> before;
    if (baseline.commit) {
        // Outside the repository: cargo merges the `.cargo/config.toml` of every directory above
        // the one it runs in, and one inside would read the candidate's twice (rustflags
        // repeated: every dependency compiled again, under another hash).
        const auto checkout = cache::LocalStore::default_root() / "worktrees" /
                              util::sha256_hex(project.repo->root.string()).substr(0, 16);
        std::error_code ec;
        std::filesystem::remove_all(checkout, ec);
        RCD_CHECK(git::export_commit(project.repo->root, *baseline.commit, checkout));
        const auto relative = std::filesystem::relative(project.dir, project.repo->root);
        // Its own target directory, kept between runs: cargo names a workspace's own crates
        // by their path inside the workspace, so the baseline's and the candidate's would
        // share file names, and each build would take the other's for up to date.
        auto built =
            build_benches((checkout / relative).lexically_normal(), dir / "target",
                          "baseline " + baseline.commit->substr(0, 12), interrupts.fd(), out);
        if (!built && built.error().code == ExitCode::interrupted)
            return std::unexpected(built.error());
        if (built && !built->empty()) {
            before = std::move(*built);
            results.baseline = baseline.commit;
        } else {
            if (!built) // an older commit may not build here: measured without a baseline
                out << built.error().message << "\n" << built.error().hint << "\n";
            results.baseline_source =
                built
                    ? fmt::format("the baseline {} has no benches", baseline.commit->substr(0, 12))
                    : fmt::format("the baseline {} does not build its benches",
                                  baseline.commit->substr(0, 12));
            out << results.baseline_source << "\n";
        }
    } else {
        out << fmt::format("no baseline: {}\n", baseline.source);
    }
    RCD_ASSIGN(auto built_after,
               build_benches(project.dir, project.target_dir, "candidate", interrupts.fd(), out));
    RCD_ASSIGN(auto after, place(built_after, dir / "bin" / "b"));
    RCD_ASSIGN(before, place(before, dir / "bin" / "a"));

    // A B, B A, A B ...: whatever the machine does meanwhile falls on both sides alike, and a
    // load that grows or fades through the run favours neither (each side goes first as often).
    // Without a baseline, one round records the candidate's times for the history.
    results.rounds = results.baseline ? config.rounds : 1;
    bench::Measurements baseline_runs, candidate_runs;
    for (int round = 0; round < results.rounds; ++round) {
        const bool baseline_first = round % 2 == 0;
        for (const bool is_baseline : {baseline_first, !baseline_first}) {
            if (is_baseline && !results.baseline)
                continue;
            const char* side = is_baseline ? "baseline" : "candidate";
            const auto started = std::chrono::steady_clock::now();
            RCD_ASSIGN(
                auto measured,
                run_side(is_baseline ? before : after,
                         dir / "runs" / fmt::format("{}{}", is_baseline ? 'a' : 'b', round + 1),
                         interrupts.fd()));
            for (auto& [id, samples] : measured)
                (is_baseline ? baseline_runs : candidate_runs)[id].push_back(std::move(samples));
            out << fmt::format("round {}/{} {}: {} benchmarks in {}\n", round + 1, results.rounds,
                               side, measured.size(),
                               util::format_duration_ms(util::elapsed_ms(started)))
                << std::flush;
        }
    }
    results.benchmarks =
        bench::judge(baseline_runs, candidate_runs, results.settings, config.allow);
    RCD_CHECK(write_results(project, results));

    out << "\n" << bench::text_table(results);
    for (const auto& finding : bench::findings(results))
        if (finding.level != "notice")
            out << finding.level << ": " << finding.text << "\n";
    if (results.failed())
        out << "a benchmark is slower: the stage fails, and `latest` stays where it is "
               "(bench.fail_on: never reports it without failing)\n";
    out << std::flush;
    if (invocation.json) {
        auto doc = report::json_header("bench run", project.config.name, project.dir.string());
        doc["ok"] = !results.failed();
        doc["exit_code"] = results.failed() ? static_cast<int>(ExitCode::stage_failed) : 0;
        doc["bench"] = bench::to_json(results);
        print_json(doc);
    }
    return results.failed() ? static_cast<int>(ExitCode::stage_failed) : 0;
}

Result<int> bench_history_command(const Invocation& invocation, const BenchOptions& bench_options,
                                  const PublishOptions& options) {
    RCD_ASSIGN(auto project, open_project(invocation));
    if (bench_options.last < 1)
        return fail(ExitCode::usage, fmt::format("--last {}: give 1 or more", bench_options.last));
    RCD_ASSIGN(auto history,
               bench_history(project, options, static_cast<std::size_t>(bench_options.last)));
    if (invocation.json) {
        nlohmann::json releases = nlohmann::json::array();
        for (const auto& results : history)
            releases.push_back(bench::to_json(results));
        auto doc = report::json_header("bench history", project.config.name, project.dir.string());
        doc["releases"] = std::move(releases);
        print_json(doc);
        return 0;
    }
    if (history.empty()) {
        std::cerr << "no release of " << project.config.name
                  << " has bench results yet: release with the bench stage on "
                     "(--bench, or 'bench: true' in rcd.yaml)\n";
        return 0;
    }
    std::cout << bench::history_table(history, static_cast<std::size_t>(bench_options.last));
    return 0;
}

} // namespace

Result<BenchBaseline> find_bench_baseline(const Project& project, const std::string& revision,
                                          const PublishOptions& options) {
    if (!project.repo)
        return std::unexpected(project.repo.error());
    if (!revision.empty()) {
        RCD_ASSIGN(auto commit, git::find_commit(project.repo->root, revision));
        return BenchBaseline{commit.sha, "--bench-baseline " + revision};
    }
    if (!configured_registry(project, options))
        return BenchBaseline{std::nullopt,
                             "no registry to find `latest` in; give --bench-baseline REV"};
    auto found = [&]() -> Result<BenchBaseline> {
        RCD_ASSIGN(auto repository, image_repository(project, options));
        RCD_ASSIGN(auto ref, registry::parse_reference(repository, false));
        RCD_ASSIGN(auto client, connect_registry(ref.registry, options));
        RCD_ASSIGN(auto present, client->manifest_digest(ref.repository, "latest"));
        if (!present)
            return BenchBaseline{std::nullopt,
                                 fmt::format("{}:latest does not exist yet", repository)};
        RCD_ASSIGN(auto tagged, read_tagged(*client, ref.repository, "latest"));
        if (!tagged.revision)
            return BenchBaseline{std::nullopt,
                                 fmt::format("{}:latest has no revision label", repository)};
        auto commit = git::find_commit(project.repo->root, *tagged.revision);
        if (!commit)
            return BenchBaseline{std::nullopt,
                                 fmt::format("latest's commit {} is not in this clone (fetch "
                                             "more history)",
                                             tagged.revision->substr(0, 12))};
        return BenchBaseline{commit->sha, "latest"};
    }();
    if (!found)
        return BenchBaseline{std::nullopt,
                             fmt::format("`latest` could not be read: {}", found.error().message)};
    return found;
}

bool bench_selected(const Project& project, const Selection& selection) {
    auto jobs = plan_jobs(project, selection, conditions_of(project), {});
    if (!jobs)
        return false;
    for (const auto& job : *jobs) {
        const auto* stage = project.pipeline.find(job.name);
        if (stage && stage->when == "has_benches" && !job.skip_reason)
            return true;
    }
    return false;
}

Status prepare_bench(const Project& project, RunSettings& settings, const std::string& revision,
                     const PublishOptions& options) {
    std::error_code ec;
    std::filesystem::remove(bench_dir(project) / "result.json", ec);
    if (!bench_selected(project, settings.selection))
        return {};
    RCD_ASSIGN(auto baseline, find_bench_baseline(project, revision, options));
    settings.stage_env[kBenchBaselineEnv] =
        fmt::format("{} {}", baseline.commit ? *baseline.commit : "-", baseline.source);
    settings.stage_env[kLockHeldEnv] = (project.rcd_dir() / "lock").string();
    log::info("bench: {}",
              baseline.commit
                  ? fmt::format("against {} ({})", baseline.commit->substr(0, 12), baseline.source)
                  : "no baseline: " + baseline.source);
    return {};
}

std::optional<bench::Results> read_bench_results(const Project& project) {
    auto text = util::read_file(bench_dir(project) / "result.json");
    if (!text || !project.repo)
        return std::nullopt;
    auto doc = nlohmann::json::parse(*text, nullptr, false);
    auto results = bench::results_from_json(doc);
    if (!results || results->commit != project.repo->commit)
        return std::nullopt;
    return *results;
}

void finish_bench(const Project& project, const PublishOptions& options,
                  report::RunReport& report) {
    // prepare_bench removed an earlier run's file: one there now is this run's stage's.
    report.bench = read_bench_results(project);
    if (!report.bench || !util::env("GITHUB_STEP_SUMMARY") ||
        !configured_registry(project, options))
        return;
    if (auto history = bench_history(project, options, 9))
        report.bench_history = std::move(*history);
    else
        log::info("bench: no history for the step summary: {}", history.error().message);
}

Result<std::vector<bench::Results>> bench_history(const Project& project,
                                                  const PublishOptions& options, std::size_t last) {
    RCD_ASSIGN(auto repository, image_repository(project, options));
    RCD_ASSIGN(auto ref, registry::parse_reference(repository, false));
    RCD_ASSIGN(auto client, connect_registry(ref.registry, options));
    RCD_ASSIGN(auto tags, client->list_tags(ref.repository));
    std::vector<bench::Results> out;
    for (const auto& tag : tags) {
        if (!tag.starts_with("bench-"))
            continue;
        RCD_ASSIGN(auto manifest, client->get_manifest(ref.repository, tag));
        auto doc = nlohmann::json::parse(manifest.body, nullptr, false);
        if (!doc.is_object() || doc.value("artifactType", "") != bench::kMediaType ||
            !doc.contains("layers") || !doc["layers"].is_array() || doc["layers"].empty() ||
            !doc["layers"][0].is_object() || !doc["layers"][0].contains("digest") ||
            !doc["layers"][0]["digest"].is_string())
            continue; // not rcd's
        RCD_ASSIGN(auto body,
                   client->get_blob(ref.repository, doc["layers"][0]["digest"].get<std::string>()));
        auto results = bench::results_from_json(nlohmann::json::parse(body, nullptr, false));
        if (!results) {
            log::warn("{}:{}: {}", repository, tag, results.error().message);
            continue;
        }
        out.push_back(std::move(*results));
    }
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.commit_time < b.commit_time; });
    if (out.size() > last)
        out.erase(out.begin(), out.end() - static_cast<std::ptrdiff_t>(last));
    return out;
}

image::Artifact bench_artifact(const bench::Results& results) {
    return {bench::kMediaType,
            image::Blob::of(bench::kMediaType, bench::to_json(results).dump(2) + "\n"),
            {{"org.opencontainers.image.revision", results.commit}},
            "bench-" + results.commit};
}

Result<int> bench(const Invocation& invocation, const BenchOptions& bench_options,
                  const PublishOptions& options) {
    if (bench_options.action == "run")
        return bench_run(invocation, bench_options, options);
    if (bench_options.action == "history")
        return bench_history_command(invocation, bench_options, options);
    return fail(ExitCode::usage,
                fmt::format("rcd bench: unknown action '{}'", bench_options.action),
                "rcd bench run [--baseline REV], or rcd bench history [--last N]");
}

} // namespace rcd::ops
