// rcd fleet: one command over many repositories. `release`, `check`, `build` and `plan` run
// rcd itself in each repository, N at a time, repositories that share a dependency recipe
// after the first of them (which cooks for all); `matrix` prints the fleet for a CI system's
// runners; `summary` joins the JSON lines those runners kept.
#include "rcd/report/fleet.hpp"
#include "rcd/exec/process.hpp"
#include "rcd/exec/signals.hpp"
#include "rcd/git/repository.hpp"
#include "rcd/ops/commands.hpp"
#include "rcd/pipeline/catalog.hpp"
#include "rcd/pipeline/loader.hpp"
#include "rcd/report/run_report.hpp"
#include "rcd/util/duration.hpp"
#include "rcd/util/fs.hpp"
#include "rcd/util/log.hpp"
#include "rcd/util/strings.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fmt/format.h>
#include <fstream>
#include <iostream>
#include <map>
#include <poll.h>
#include <set>
#include <thread>
#include <unistd.h>

namespace rcd::ops {

namespace {

using Clock = std::chrono::steady_clock;

struct Member {
    std::string path; // absolute
    std::string name; // the directory's name, numbered when two are the same
    std::filesystem::path log;
    std::filesystem::path json;
    std::vector<std::string> cooks;    // profiles the plan says this repository would cook
    std::string keys;                  // its cache keys, joined: equal keys share every entry
    std::optional<std::size_t> leader; // runs after this member (which cooks for both)
};

// The repositories: the lines of --list (relative to the list's directory; blank lines and
// '#' comments skipped), then the directories given. Each must be a directory.
Result<std::vector<Member>> members_of(const Invocation& invocation, const FleetOptions& options) {
    std::vector<std::string> paths;
    const std::filesystem::path here = invocation.absolute_dir();
    if (!options.list.empty()) {
        const auto list = here / options.list;
        auto text = util::read_file(list);
        if (!text)
            return fail(ExitCode::usage, fmt::format("cannot read the list {}", list.string()),
                        "give a file with one repository directory per line");
        for (auto line : util::split(*text, '\n')) {
            line = util::trim(line);
            if (!line.empty() && !line.starts_with('#'))
                paths.push_back((list.parent_path() / line).lexically_normal().string());
        }
    }
    for (const auto& dir : options.dirs)
        paths.push_back((here / dir).lexically_normal().string());
    if (paths.empty())
        return fail(ExitCode::usage, "rcd fleet needs repositories",
                    "give their directories, or --list FILE with one per line");
    std::vector<Member> out;
    std::map<std::string, int> names;
    for (auto path : paths) {
        while (path.size() > 1 && path.ends_with('/'))
            path.pop_back();
        std::error_code ec;
        if (!std::filesystem::is_directory(path, ec))
            return fail(ExitCode::usage, fmt::format("{} is not a directory", path),
                        "give each repository's directory");
        Member m;
        m.path = path;
        m.name = std::filesystem::path(path).filename().string();
        if (int n = names[m.name]++; n > 0)
            m.name += fmt::format("-{}", n + 1);
        out.push_back(std::move(m));
    }
    return out;
}

// The arguments every child gets: the fleet's own global options that apply to each.
std::vector<std::string> child_argv(const Invocation& invocation, const Member& member,
                                    const std::string& command) {
    std::vector<std::string> argv = {
        util::self_executable(), "-C", member.path, "--json", "--color", "never"};
    if (invocation.ci())
        argv.push_back("--ci");
    if (invocation.verbose)
        argv.push_back("-v");
    argv.push_back(command);
    return argv;
}

// A repository's run: its process, where its output goes, when it started.
struct Running {
    std::size_t index;
    exec::Process process;
    std::ofstream log;
    std::string partial; // output not yet ended by a newline
    std::string stage;   // the stage its output last named
    Clock::time_point started;
};

// Asks `rcd plan` of each repository which profiles it would cook and with which keys; a
// repository whose keys equal an earlier one's runs after it. Failures are no matter: that
// repository is then on its own.
void plan_shared_cooks(const Invocation& invocation, std::vector<Member>& members, int jobs) {
    std::vector<std::thread> workers;
    std::atomic<std::size_t> next{0};
    for (int w = 0; w < jobs; ++w)
        workers.emplace_back([&] {
            for (std::size_t i = next++; i < members.size(); i = next++) {
                auto argv = child_argv(invocation, members[i], "plan");
                auto captured = exec::capture({argv, {}, {}, std::nullopt});
                if (!captured || captured->exit_code != 0)
                    continue;
                auto line = captured->output.substr(captured->output.rfind("\n{") + 1);
                if (auto row = report::fleet_row(line, members[i].path)) {
                    members[i].cooks = row->cooked;
                    members[i].keys = util::join(row->keys, ",");
                }
            }
        });
    for (auto& w : workers)
        w.join();
    std::map<std::string, std::size_t> first;
    for (std::size_t i = 0; i < members.size(); ++i) {
        if (members[i].cooks.empty() || members[i].keys.empty())
            continue;
        auto [it, inserted] = first.try_emplace(members[i].keys, i);
        if (!inserted)
            members[i].leader = it->second;
    }
}

// What the fleet shows while it runs: each line prefixed by its repository, or on a terminal
// a table redrawn in place.
class FleetView {
  public:
    FleetView(const Invocation& invocation, const std::vector<Member>& members)
        : members_(members),
          live_(!invocation.quiet && !invocation.ci() && ::isatty(STDERR_FILENO) != 0),
          quiet_(invocation.quiet) {
        progress_.resize(members.size());
        for (std::size_t i = 0; i < members.size(); ++i)
            progress_[i] = {members[i].name, "waiting", "", 0};
    }
    void line(std::size_t i, const std::string& text) {
        if (!live_ && !quiet_)
            std::fprintf(stderr, "%s | %s\n", members_[i].name.c_str(), text.c_str());
    }
    void update(std::size_t i, std::string state, std::string stage, long long elapsed_ms) {
        progress_[i] = {members_[i].name, std::move(state), std::move(stage), elapsed_ms};
    }
    void draw() {
        if (!live_)
            return;
        auto table = report::fleet_live(progress_);
        if (drawn_lines_ > 0)
            std::fprintf(stderr, "\x1b[%dA\x1b[J", drawn_lines_);
        std::fputs(table.c_str(), stderr);
        std::fflush(stderr);
        drawn_lines_ = static_cast<int>(std::count(table.begin(), table.end(), '\n'));
    }

  private:
    const std::vector<Member>& members_;
    bool live_;
    bool quiet_;
    std::vector<report::FleetProgress> progress_;
    int drawn_lines_ = 0;
};

// Runs `command` in every member, `jobs` at a time; returns each one's row, in member order.
Result<std::vector<report::FleetRow>> run_members(const Invocation& invocation,
                                                  const std::vector<Member>& members,
                                                  const std::string& command, int jobs) {
    exec::InterruptGuard interrupt;
    FleetView view(invocation, members);
    std::vector<std::optional<report::FleetRow>> rows(members.size());
    std::vector<bool> started(members.size(), false);
    std::vector<Running> running;
    bool stopping = false;
    auto ready = [&](std::size_t i) {
        return !started[i] && (!members[i].leader || rows[*members[i].leader]);
    };
    auto finish = [&](Running& r, int code) {
        const Member& m = members[r.index];
        if (!r.partial.empty()) {
            r.log << r.partial << "\n";
            view.line(r.index, r.partial);
        }
        auto text = util::read_file(m.json);
        auto row = text ? report::fleet_row(util::trim(*text), m.path)
                        : Result<report::FleetRow>(std::unexpected(text.error()));
        if (!row) { // it never printed its line: it could not start, or was killed
            row = report::FleetRow{m.path, m.name, command, code, 0, "", {}, {}, {}, ""};
            row->outcome = fmt::format("exit {} (see {})", code, m.log.string());
        }
        row->name = m.name; // the directory's: rcd.yaml names may repeat across a fleet
        row->exit_code = code;
        row->log = m.log.string();
        row->duration_ms = std::max(row->duration_ms, util::elapsed_ms(r.started));
        if (invocation.json && text) {
            auto doc = nlohmann::json::parse(util::trim(*text), nullptr, false);
            if (!doc.is_discarded()) {
                doc["repository"] = m.path;
                doc["log"] = m.log.string();
                std::cout << doc.dump() << "\n" << std::flush;
            }
        }
        view.update(r.index, code == 0 ? "passed" : fmt::format("failed (exit {})", code), "",
                    row->duration_ms);
        rows[r.index] = std::move(*row);
    };

    auto last_draw = Clock::now();
    while (true) {
        for (std::size_t i = 0;
             !stopping && i < members.size() && static_cast<int>(running.size()) < jobs; ++i) {
            if (!ready(i))
                continue;
            started[i] = true;
            const Member& m = members[i];
            exec::Command child{child_argv(invocation, m, command), {}, {}, std::nullopt};
            auto process = exec::Process::spawn(child, m.json);
            if (!process) {
                rows[i] = report::FleetRow{m.path,  m.name,
                                           command, static_cast<int>(process.error().code),
                                           0,       process.error().message,
                                           {},      {},
                                           {},      m.log.string()};
                continue;
            }
            running.push_back({i, std::move(*process), std::ofstream(m.log), "", "", Clock::now()});
            view.update(i, "running", "", 0);
        }
        // Nothing running means nothing is left: a leader comes before its followers, so
        // each one that waits was started in the loop above once its leader ended.
        if (running.empty())
            break;
        std::vector<pollfd> fds = {{interrupt.fd(), POLLIN, 0}};
        for (auto& r : running)
            fds.push_back({r.process.output_fd(), POLLIN, 0});
        ::poll(fds.data(), fds.size(), 200);
        if (fds[0].revents & POLLIN) {
            const int sig = interrupt.take_signal();
            stopping = true;
            for (auto& r : running)
                r.process.signal_group(sig ? sig : SIGINT);
        }
        for (std::size_t k = 0; k < running.size();) {
            Running& r = running[k];
            bool open = true;
            r.partial += r.process.read_available(open);
            std::size_t nl;
            while ((nl = r.partial.find('\n')) != std::string::npos) {
                std::string text = util::strip_ansi(r.partial.substr(0, nl));
                r.partial.erase(0, nl + 1);
                r.log << text << "\n";
                if (text.starts_with("==> "))
                    r.stage = text.substr(4);
                view.line(r.index, text);
            }
            if (!open) {
                finish(r, r.process.wait());
                running.erase(running.begin() + static_cast<std::ptrdiff_t>(k));
                continue;
            }
            view.update(r.index, "running", r.stage, util::elapsed_ms(r.started));
            ++k;
        }
        if (Clock::now() - last_draw > std::chrono::milliseconds(250)) {
            view.draw();
            last_draw = Clock::now();
        }
    }
    view.draw();
    if (stopping)
        return fail(ExitCode::interrupted, "the fleet was interrupted",
                    "run it again: each repository starts over where it stopped");
    std::vector<report::FleetRow> out;
    for (auto& row : rows)
        if (row)
            out.push_back(std::move(*row));
    return out;
}

// Cooks the fleet saved: profiles the plan said a follower would cook, which its run restored.
int saved_cooks(const std::vector<Member>& members, const std::vector<report::FleetRow>& rows) {
    int saved = 0;
    for (std::size_t i = 0; i < members.size() && i < rows.size(); ++i)
        if (members[i].leader)
            for (const auto& profile : members[i].cooks)
                saved += std::find(rows[i].hits.begin(), rows[i].hits.end(), profile) !=
                         rows[i].hits.end();
    return saved;
}

Result<int> run_fleet(const Invocation& invocation, const FleetOptions& options) {
    const auto started = Clock::now();
    RCD_ASSIGN(auto members, members_of(invocation, options));
    const std::filesystem::path logs =
        std::filesystem::path(invocation.absolute_dir()) / options.logs;
    std::error_code ec;
    std::filesystem::create_directories(logs, ec);
    if (ec)
        return fail(ExitCode::filesystem,
                    fmt::format("cannot create the fleet's log directory {}: {}", logs.string(),
                                ec.message()),
                    "give another with --logs DIR");
    for (auto& m : members) {
        m.log = logs / (m.name + ".log");
        m.json = logs / (m.name + ".json");
        std::filesystem::remove(m.json, ec); // a line from an earlier run is never read
    }
    const int jobs = options.jobs > 0
                         ? options.jobs
                         : std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / 2);
    if (options.action != "plan" && members.size() > 1)
        plan_shared_cooks(invocation, members, jobs);
    RCD_ASSIGN(auto rows, run_members(invocation, members, options.action, jobs));
    const int saved = saved_cooks(members, rows);
    const long long ms = util::elapsed_ms(started);
    if (invocation.json)
        std::cout << report::fleet_summary("fleet " + options.action, invocation.absolute_dir(),
                                           rows, saved, ms)
                         .dump()
                  << "\n";
    else
        std::cerr << report::fleet_table(rows, saved) << fmt::format("logs: {}\n", logs.string());
    return report::worst_exit_code(rows);
}

Result<int> fleet_matrix(const Invocation& invocation, const FleetOptions& options) {
    RCD_ASSIGN(auto members, members_of(invocation, options));
    std::vector<report::FleetMember> out;
    for (const auto& m : members) {
        report::FleetMember member{m.name, m.path, ""};
        if (auto repo = git::inspect(m.path); repo && repo->origin)
            member.url = *repo->origin;
        // Relative to where rcd runs: the checkout of the fleet's own repository on a runner.
        auto relative = std::filesystem::path(m.path).lexically_relative(invocation.absolute_dir());
        if (!relative.empty() && !relative.string().starts_with(".."))
            member.path = relative.string();
        out.push_back(std::move(member));
    }
    if (options.format == "gitlab")
        std::cout << report::gitlab_matrix(out, "release");
    else
        std::cout << report::github_matrix(out) << "\n";
    return 0;
}

// rust-toolchain.toml's channel (or the legacy rust-toolchain file's), else "default".
std::string toolchain_of(const std::filesystem::path& dir) {
    if (auto text = util::read_file(dir / "rust-toolchain.toml"))
        for (const auto& line : util::split(*text, '\n'))
            if (auto t = util::trim(line); t.starts_with("channel")) {
                auto first = t.find('"'), last = t.rfind('"');
                if (first != std::string::npos && last > first)
                    return t.substr(first + 1, last - first - 1);
            }
    if (auto text = util::read_file(dir / "rust-toolchain"))
        return util::trim(*text);
    return "default";
}

// What rcd.yaml and the repository's files say, without running anything.
report::RepoFacts facts_of(const Member& m) {
    report::RepoFacts f;
    f.name = m.name;
    const std::filesystem::path dir = m.path;
    auto config = pipeline::load_repo_config(dir / "rcd.yaml");
    if (!config) {
        f.problem = config.error().message;
        return f;
    }
    const auto& c = *config;
    const auto& image = c.image;
    const pipeline::ImageConfig defaults;
    auto set = [&](bool is_set, const char* key) {
        if (is_set)
            f.keys.emplace_back(key);
    };
    set(c.binary.has_value(), "binary");
    set(image.base != defaults.base, "image.base");
    set(image.entrypoint.has_value(), "image.entrypoint");
    set(!image.cmd.empty(), "image.cmd");
    set(!image.env.empty(), "image.env");
    set(image.workdir != defaults.workdir, "image.workdir");
    set(image.user.has_value(), "image.user");
    set(!image.expose.empty(), "image.expose");
    set(!image.labels.empty(), "image.labels");
    set(!image.files.empty(), "image.files");
    set(image.smoke.has_value(), "image.smoke");
    set(!image.sbom, "image.sbom");
    set(!image.provenance, "image.provenance");
    set(c.cache.repository.has_value(), "cache.repository");
    // Stages are extra against rcd's own pipeline of the language, not the repository's.
    std::optional<pipeline::Pipeline> builtin;
    for (const auto& [language, text] : pipeline::builtin_pipelines())
        if (language == c.language)
            if (auto parsed = pipeline::parse_pipeline(text, language + ".yaml"))
                builtin = std::move(*parsed);
    for (const auto& stage : c.stages) {
        f.keys.push_back("stages." + stage.name);
        if (builtin && !builtin->find(stage.name))
            f.extra_stages.push_back(stage.name);
        if (stage.skip && *stage.skip)
            f.skipped_stages.push_back(stage.name);
    }
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir / ".rcd" / "pipelines", ec))
        f.pipeline_files.push_back(".rcd/pipelines/" + entry.path().filename().string());
    std::sort(f.pipeline_files.begin(), f.pipeline_files.end());
    f.toolchain = toolchain_of(dir);
    f.base = image.base;
    f.registry = c.registry.has_value() || util::env("RCD_REGISTRY").has_value();
    return f;
}

// Each repository's drift from the fleet's norm; exit 1 when any repository drifts.
Result<int> fleet_doctor(const Invocation& invocation, const FleetOptions& options) {
    RCD_ASSIGN(auto members, members_of(invocation, options));
    std::vector<report::RepoFacts> facts;
    for (const auto& m : members)
        facts.push_back(facts_of(m));
    const auto drift = report::fleet_drift(facts);
    int drifted = 0;
    for (std::size_t i = 0; i < members.size(); ++i) {
        drifted += !drift[i].empty();
        if (invocation.json) {
            auto doc = report::json_header("fleet doctor", members[i].name, members[i].path);
            doc.update({{"repository", members[i].path}, {"drift", drift[i]}});
            std::cout << doc.dump() << "\n";
        } else {
            std::cout << fmt::format("{}: {}\n", members[i].name,
                                     drift[i].empty() ? "as the fleet"
                                                      : util::join(drift[i], "; "));
        }
    }
    const int code = drifted > 0 ? 1 : 0;
    if (invocation.json) {
        auto doc = report::json_header("fleet doctor", "", invocation.absolute_dir());
        doc.update({{"ok", code == 0},
                    {"exit_code", code},
                    {"fleet", {{"repositories", members.size()}, {"drifted", drifted}}}});
        std::cout << doc.dump() << "\n";
    } else {
        std::cout << fmt::format("{} repositories, {} drift from the fleet's norm\n",
                                 members.size(), drifted);
    }
    return code;
}

Result<int> fleet_summary(const Invocation& invocation, const FleetOptions& options) {
    std::vector<report::FleetRow> rows;
    const std::filesystem::path here = invocation.absolute_dir();
    for (const auto& file : options.dirs) {
        auto text = util::read_file(here / file);
        if (!text)
            return fail(ExitCode::usage, fmt::format("cannot read {}", file),
                        "give the JSON files the fleet's jobs kept");
        int line_number = 0;
        for (const auto& line : util::split(*text, '\n')) {
            ++line_number;
            if (util::trim(line).empty())
                continue;
            auto row = report::fleet_row(line, fmt::format("{}:{}", file, line_number));
            if (!row)
                return std::unexpected(row.error());
            if (row->command.starts_with("fleet "))
                continue; // a fleet's own summary line
            rows.push_back(std::move(*row));
        }
    }
    if (invocation.json)
        std::cout
            << report::fleet_summary("fleet summary", invocation.absolute_dir(), rows, 0, 0).dump()
            << "\n";
    else
        std::cout << report::fleet_table(rows, 0);
    return report::worst_exit_code(rows);
}

} // namespace

Result<int> fleet(const Invocation& invocation, const FleetOptions& options) {
    if (options.action == "matrix")
        return fleet_matrix(invocation, options);
    if (options.action == "summary")
        return fleet_summary(invocation, options);
    if (options.action == "doctor")
        return fleet_doctor(invocation, options);
    return run_fleet(invocation, options);
}

} // namespace rcd::ops
