#include "rcd/exec/scheduler.hpp"
#include "rcd/util/fs.hpp"

#include "temp_dir.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <thread>
#include <unistd.h>

using namespace rcd;
using namespace rcd::exec;
using namespace std::chrono_literals;

namespace {

struct Recorder : StageObserver {
    std::vector<std::string> events;
    std::string output;
    void on_start(const StageJob& job) override { events.push_back("start " + job.name); }
    void on_output(const StageJob&, std::string_view chunk) override { output.append(chunk); }
    void on_finish(const StageJob& job, const StageResult& r) override {
        events.push_back(std::string(status_name(r.status)) + " " + job.name);
    }
};

StageJob job(std::string name, std::vector<std::string> argv, std::vector<std::string> needs = {}) {
    StageJob j;
    j.name = std::move(name);
    j.command.argv = std::move(argv);
    j.needs = std::move(needs);
    return j;
}

StageJob sh(std::string name, std::string script, std::vector<std::string> needs = {}) {
    return job(std::move(name), {"sh", "-c", std::move(script)}, std::move(needs));
}

RunOutcome run(const std::vector<StageJob>& jobs, RunOptions options, Recorder& recorder) {
    InterruptGuard guard;
    return run_stages(jobs, options, recorder, guard);
}

// Running or stopped; a killed process waiting to be reaped (state Z) does not count.
bool process_alive(pid_t pid) {
    std::string stat = util::read_file("/proc/" + std::to_string(pid) + "/stat").value_or("");
    auto close = stat.rfind(')');
    return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z';
}

} // namespace

TEST_CASE("stages run in order and report exit codes") {
    Recorder rec;
    auto outcome = run({job("a", {"true"}), job("b", {"sh", "-c", "exit 3"}, {"a"})}, {}, rec);
    REQUIRE(outcome.results.size() == 2);
    CHECK(outcome.results[0].status == StageStatus::passed);
    CHECK(outcome.results[0].exit_code == 0);
    CHECK(outcome.results[1].status == StageStatus::failed);
    CHECK(outcome.results[1].exit_code == 3);
    CHECK(outcome.results[1].reason == "exit code 3");
    CHECK(rec.events == std::vector<std::string>{"start a", "passed a", "start b", "failed b"});
}

TEST_CASE("by default the first failure stops the run and the rest are not run") {
    Recorder rec;
    auto outcome =
        run({job("fmt", {"false"}), job("clippy", {"true"}), job("test", {"true"})}, {}, rec);
    CHECK(outcome.results[0].status == StageStatus::failed);
    CHECK(outcome.results[1].status == StageStatus::skipped);
    CHECK(outcome.results[1].reason == "not run: fmt failed");
    CHECK(outcome.results[2].reason == "not run: fmt failed");
}

TEST_CASE("keep-going runs what does not need the failed stage") {
    Recorder rec;
    RunOptions options;
    options.keep_going = true;
    auto outcome = run({job("fmt", {"false"}), job("test", {"true"}),
                        job("build", {"true"}, {"fmt"}), job("deploy", {"true"}, {"build"})},
                       options, rec);
    CHECK(outcome.results[1].status == StageStatus::passed);
    CHECK(outcome.results[2].status == StageStatus::skipped);
    CHECK(outcome.results[2].reason == "needs fmt, which did not pass");
    CHECK(outcome.results[3].reason == "needs build, which did not pass");
}

TEST_CASE("a stage blocked by several needs names the first one that did not pass") {
    Recorder rec;
    RunOptions options;
    options.keep_going = true;
    // bench needs fmt and is blocked by it; build needs both: fmt, the cause, is named.
    auto outcome = run({job("fmt", {"false"}), job("bench", {"true"}, {"fmt"}),
                        job("build", {"true"}, {"fmt", "bench"})},
                       options, rec);
    CHECK(outcome.results[1].reason == "needs fmt, which did not pass");
    CHECK(outcome.results[2].reason == "needs fmt, which did not pass");
}

TEST_CASE("a skipped stage does not run and counts as done for those that need it") {
    Recorder rec;
    auto skipped = job("doctest", {"false"});
    skipped.skip_reason = "no library target";
    auto outcome = run({skipped, job("build", {"true"}, {"doctest"})}, {}, rec);
    CHECK(outcome.results[0].status == StageStatus::skipped);
    CHECK(outcome.results[0].reason == "no library target");
    CHECK_FALSE(outcome.results[0].exit_code);
    CHECK(outcome.results[1].status == StageStatus::passed);
}

TEST_CASE("a missing command fails its stage with exit code 127") {
    Recorder rec;
    auto outcome = run({job("x", {"rcd-no-such-command-anywhere"})}, {}, rec);
    CHECK(outcome.results[0].status == StageStatus::failed);
    CHECK(outcome.results[0].exit_code == 127);
    CHECK(outcome.results[0].reason == "command not found: rcd-no-such-command-anywhere");
}

TEST_CASE("output is shown live and kept whole, without colour codes, in the log") {
    test::TempDir dir_scratch;
    const std::filesystem::path& dir = dir_scratch.path;
    Recorder rec;
    auto j = sh("say", "printf '\\033[32mgreen\\033[0m\\n'; echo to-stderr >&2");
    j.log_path = dir / "logs" / "say.log";
    auto outcome = run({j}, {}, rec);
    CHECK(rec.output.find("\x1b[32mgreen") != std::string::npos);
    CHECK(outcome.results[0].log == j.log_path.string());
    CHECK(util::read_file(j.log_path) == "green\nto-stderr\n");
    CHECK_FALSE(std::filesystem::exists(dir / "logs" / "say.log.tmp"));
}

TEST_CASE("a stage over its timeout is killed and reported as timed out") {
    Recorder rec;
    auto j = job("slow", {"sleep", "30"});
    j.timeout = 200ms;
    auto start = std::chrono::steady_clock::now();
    auto outcome = run({j}, {}, rec);
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    CHECK(outcome.results[0].status == StageStatus::failed);
    CHECK(outcome.results[0].reason == "timed out after 0.2s");
}

TEST_CASE("a stage that ignores SIGTERM is killed after the grace period") {
    Recorder rec;
    auto j = sh("stubborn", "trap '' TERM; sleep 30 & wait; sleep 30");
    j.timeout = 200ms;
    RunOptions options;
    options.kill_grace = 300ms;
    auto start = std::chrono::steady_clock::now();
    auto outcome = run({j}, options, rec);
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    CHECK(outcome.results[0].reason == "timed out after 0.2s");
}

TEST_CASE("processes a stage leaves in its group are killed when it ends") {
    Recorder rec;
    auto outcome = run({sh("leaver", "sleep 60 & echo $!")}, {}, rec);
    CHECK(outcome.results[0].status == StageStatus::passed);
    pid_t child = std::stoi(rec.output);
    // The orphan is reaped by init or a subreaper; give it a moment.
    for (int i = 0; i < 50 && process_alive(child); ++i)
        std::this_thread::sleep_for(20ms);
    CHECK_FALSE(process_alive(child));
}

TEST_CASE("with -j 2 independent stages run at the same time") {
    Recorder rec;
    RunOptions options;
    options.jobs = 2;
    auto start = std::chrono::steady_clock::now();
    auto outcome = run({job("a", {"sleep", "0.5"}), job("b", {"sleep", "0.5"})}, options, rec);
    auto elapsed = std::chrono::steady_clock::now() - start;
    CHECK(elapsed < 900ms);
    CHECK(rec.events[0] == "start a");
    CHECK(rec.events[1] == "start b");
}

TEST_CASE("with -j 2 a stage still waits for what it needs") {
    Recorder rec;
    RunOptions options;
    options.jobs = 2;
    run({job("a", {"sleep", "0.2"}), job("b", {"true"}, {"a"})}, options, rec);
    CHECK(rec.events == std::vector<std::string>{"start a", "passed a", "start b", "passed b"});
}

TEST_CASE("a stage with a ready descriptor starts once it is readable; others run meanwhile") {
    Recorder rec;
    RunOptions options;
    options.jobs = 2;
    Gate ready;
    auto gated = job("clippy", {"true"});
    gated.ready_fd = ready.fd();
    std::thread restorer([&] {
        std::this_thread::sleep_for(300ms);
        ready.open();
    });
    auto start = std::chrono::steady_clock::now();
    auto outcome =
        run({job("fmt", {"true"}), gated, job("build", {"true"}, {"clippy"})}, options, rec);
    auto elapsed = std::chrono::steady_clock::now() - start;
    restorer.join();
    CHECK(elapsed >= 300ms);
    CHECK(rec.events == std::vector<std::string>{"start fmt", "passed fmt", "start clippy",
                                                 "passed clippy", "start build", "passed build"});
    CHECK(outcome.results[1].status == StageStatus::passed);
}

TEST_CASE("SIGINT while a stage waits for its ready descriptor ends the run") {
    Recorder rec;
    Gate never;
    auto gated = job("clippy", {"true"});
    gated.ready_fd = never.fd();
    std::thread sender([] {
        std::this_thread::sleep_for(300ms);
        ::kill(::getpid(), SIGINT);
    });
    auto start = std::chrono::steady_clock::now();
    auto outcome = run({gated}, {}, rec);
    sender.join();
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    CHECK(outcome.interrupt_signal == SIGINT);
    CHECK(outcome.results[0].reason == "not run: interrupted by SIGINT");
}

TEST_CASE("SIGINT reaches the running stage and ends the run as interrupted") {
    Recorder rec;
    std::thread sender([] {
        std::this_thread::sleep_for(300ms);
        ::kill(::getpid(), SIGINT);
    });
    auto start = std::chrono::steady_clock::now();
    auto outcome = run({job("long", {"sleep", "30"}), job("after", {"true"}, {"long"})}, {}, rec);
    sender.join();
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    CHECK(outcome.interrupt_signal == SIGINT);
    CHECK(outcome.results[0].status == StageStatus::failed);
    CHECK(outcome.results[0].reason == "interrupted by SIGINT");
    CHECK(outcome.results[1].reason == "not run: interrupted by SIGINT");
}

TEST_CASE("fail-fast stops a stage running beside the one that failed") {
    Recorder rec;
    RunOptions options;
    options.jobs = 2;
    auto start = std::chrono::steady_clock::now();
    auto outcome =
        run({job("slow", {"sleep", "30"}), sh("fails", "sleep 0.2; exit 1")}, options, rec);
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    CHECK(outcome.results[0].status == StageStatus::skipped);
    CHECK(outcome.results[0].reason == "stopped: fails failed");
    CHECK(outcome.results[1].status == StageStatus::failed);
}
