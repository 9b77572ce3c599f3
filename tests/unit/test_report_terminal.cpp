#include "rcd/report/terminal.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <thread>

using namespace rcd;
using namespace rcd::report;

namespace {
struct Capture {
    char* buffer = nullptr;
    std::size_t size = 0;
    std::FILE* file = open_memstream(&buffer, &size);
    ~Capture() {
        std::fclose(file);
        std::free(buffer);
    }
    std::string text() {
        std::fflush(file);
        return std::string(buffer, size);
    }
};

exec::StageJob job(const std::string& name) {
    exec::StageJob j;
    j.name = name;
    j.command.argv = {"cargo", name};
    return j;
}

exec::StageResult result(const std::string& name, exec::StageStatus status,
                         std::string reason = "") {
    return exec::StageResult{name, status, 0, 1500, "", std::move(reason)};
}
TerminalStyle style(Verbosity verbosity, bool color, CiFormat ci = CiFormat::none) {
    TerminalStyle s;
    s.verbosity = verbosity;
    s.color = color;
    s.ci = ci;
    return s;
}
} // namespace

TEST_CASE("two stages at once: the second's output is held and shown after the first") {
    Capture out;
    TerminalReporter r(style(Verbosity::normal, false), out.file);
    auto a = job("fmt"), b = job("clippy");
    r.on_start(a);
    r.on_start(b);
    r.on_output(b, "clippy says\n");
    r.on_output(a, "fmt says\n");
    r.on_finish(a, result("fmt", exec::StageStatus::passed));
    r.on_output(b, "clippy again\n");
    r.on_finish(b, result("clippy", exec::StageStatus::passed));
    CHECK(out.text() == "==> fmt\nfmt says\nok  fmt passed in 1.5s\n"
                        "==> clippy\nclippy says\nclippy again\nok  clippy passed in 1.5s\n");
}

TEST_CASE("a stage that ends before the live one is shown whole, in start order") {
    Capture out;
    TerminalReporter r(style(Verbosity::normal, false), out.file);
    auto a = job("clippy"), b = job("fmt");
    r.on_start(a);
    r.on_start(b);
    r.on_output(b, "fmt out\n");
    r.on_finish(b, result("fmt", exec::StageStatus::failed, "exit code 1"));
    CHECK(out.text() == "==> clippy\n");
    r.on_finish(a, result("clippy", exec::StageStatus::skipped, "stopped: fmt failed"));
    CHECK(out.text() == "==> clippy\n--  clippy skipped: stopped: fmt failed\n"
                        "==> fmt\nfmt out\nERR fmt failed in 1.5s: exit code 1\n");
}

TEST_CASE("quiet shows only failed stages, with their output") {
    Capture out;
    TerminalReporter r(style(Verbosity::quiet, false), out.file);
    auto a = job("fmt"), b = job("test");
    r.on_start(a);
    r.on_output(a, "fine\n");
    r.on_finish(a, result("fmt", exec::StageStatus::passed));
    r.on_start(b);
    r.on_output(b, "panicked at src/lib.rs\n");
    r.on_finish(b, result("test", exec::StageStatus::failed, "exit code 101"));
    CHECK(out.text() == "panicked at src/lib.rs\nERR test failed in 1.5s: exit code 101\n");
}

TEST_CASE("verbose start lines show the command; colour only when asked") {
    Capture out;
    TerminalReporter r(style(Verbosity::verbose, true), out.file);
    r.on_start(job("test"));
    CHECK(out.text().find("cargo test") != std::string::npos);
    CHECK(out.text().find("\x1b[") != std::string::npos);
}

TEST_CASE("NO_COLOR and --color decide colour") {
    CHECK(use_color("always", true, -1));
    CHECK_FALSE(use_color("never", false, 2));
    CHECK_FALSE(use_color("auto", true, 2));   // CI mode
    CHECK_FALSE(use_color("auto", false, -1)); // not a terminal
}

TEST_CASE("the transfer line shows bytes and rate, and clears itself when done") {
    Capture out;
    {
        TransferLine line(true, out.file);
        line.update("sha256:abc", 1'000'000, 4'000'000);
        CHECK(out.text().find("sha256:abc 1.0/4.0 MB") != std::string::npos);
        CHECK(out.text().find("MB/s") != std::string::npos);
        line.update("sha256:abc", 4'000'000, 4'000'000);
    }
    CHECK(out.text().ends_with("\r\x1b[2K"));
}

TEST_CASE("a disabled transfer line writes nothing") {
    Capture out;
    TransferLine line(false, out.file);
    line.update("sha256:abc", 1, 2);
    line.clear();
    CHECK(out.text().empty());
}

TEST_CASE(
    "under GitHub Actions a stage is a group, and cargo's JSON becomes text and annotations") {
    Capture out;
    auto s = style(Verbosity::normal, false, CiFormat::github);
    TerminalReporter r(s, out.file);
    auto a = job("clippy");
    a.format = "cargo-json";
    r.on_start(a);
    const std::string message =
        R"({"reason":"compiler-message","message":{"rendered":"error: bad\n --> src/lib.rs:3:1\n","level":"error","message":"bad","code":null,"spans":[{"file_name":"src/lib.rs","is_primary":true,"line_start":3,"line_end":3,"column_start":1,"column_end":4}]}})";
    // A JSON line split across two reads, then an artifact line and plain output.
    r.on_output(a, message.substr(0, 40));
    r.on_output(a, message.substr(40) + "\n" + R"({"reason":"compiler-artifact","filenames":[]})" +
                       "\nplain\n\n");
    r.on_finish(a, result("clippy", exec::StageStatus::failed, "exit code 101"));
    std::string text = out.text();
    CHECK(text.starts_with("::group::clippy\n["));
    CHECK(text.find("] ==> clippy\nerror: bad\n --> src/lib.rs:3:1\n::error file=src/lib.rs,line=3,"
                    "col=1,endLine=3,endColumn=4,title=bad::error: bad%0A --> src/lib.rs:3:1\n"
                    "plain\n\n::endgroup::\n[") != std::string::npos);
    CHECK(text.find("{\"reason\"") == std::string::npos);
    CHECK(text.ends_with("] ERR clippy failed in 1.5s: exit code 101\n"));
}

TEST_CASE("a diagnostic repeated by later builds and stages is annotated once") {
    Capture out;
    auto s = style(Verbosity::normal, false, CiFormat::github);
    TerminalReporter r(s, out.file);
    const std::string warning =
        R"({"reason":"compiler-message","message":{"rendered":"warning: unused\n","level":"warning","message":"unused variable: `x`","code":{"code":"unused_variables"},"spans":[{"file_name":"src/lib.rs","is_primary":true,"line_start":7,"line_end":7,"column_start":9,"column_end":10}]}})";
    for (const char* name : {"clippy", "test"}) {
        auto j = job(name);
        j.format = "cargo-json";
        r.on_start(j);
        r.on_output(j, warning + "\n" + warning + "\n"); // the lib and the lib-test build
        r.on_finish(j, result(name, exec::StageStatus::passed));
    }
    std::string text = out.text();
    std::size_t annotations = 0;
    for (auto at = text.find("::warning file=src/lib.rs,line=7"); at != std::string::npos;
         at = text.find("::warning file=src/lib.rs,line=7", at + 1))
        ++annotations;
    CHECK(annotations == 1);
    CHECK(text.find("warning: unused\nwarning: unused\n") != std::string::npos); // text stays
}

TEST_CASE("a failing test's panic becomes an error annotation at its location") {
    Capture out;
    auto s = style(Verbosity::normal, false, CiFormat::github);
    s.annotation_root = "crates/codec/";
    TerminalReporter r(s, out.file);
    auto t = job("test");
    t.format = "cargo-json";
    r.on_start(t);
    r.on_output(t,
                "---- tests::adds stdout ----\n\nthread 'tests::adds' panicked at "
                "src/lib.rs:12:9:\nassertion `left == right` failed\n  left: 2\n right: 3\n"
                "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n");
    r.on_finish(t, result("test", exec::StageStatus::failed, "exit code 101"));
    std::string text = out.text();
    CHECK(text.find("::error file=crates/codec/src/lib.rs,line=12,col=9,title=test tests%3A%3Aadds "
                    "panicked::assertion `left == right` failed%0A  left: 2%0A right: 3\n") !=
          std::string::npos);
}

TEST_CASE("under GitLab a stage is a collapsed section, closed before its result line") {
    Capture out;
    TerminalReporter r(style(Verbosity::normal, false, CiFormat::gitlab), out.file);
    auto a = job("test");
    r.on_start(a);
    r.on_output(a, "running\n");
    r.on_finish(a, result("test", exec::StageStatus::passed));
    std::string text = out.text();
    CHECK(text.starts_with("\x1b[0Ksection_start:"));
    CHECK(text.find(":rcd_test[collapsed=true]\r\x1b[0K[") != std::string::npos);
    CHECK(text.find("running\n\x1b[0Ksection_end:") != std::string::npos);
    CHECK(text.find(":rcd_test\r\x1b[0K[") != std::string::npos);
}

TEST_CASE("the spinner names the silent live stage with its time, and is gone before output") {
    Capture out;
    auto s = style(Verbosity::normal, false);
    s.spinner = true;
    auto a = job("test");
    {
        TerminalReporter r(s, out.file);
        r.on_start(a);
        std::this_thread::sleep_for(std::chrono::milliseconds(700));
        r.on_output(a, "done\n");
        r.on_finish(a, result("test", exec::StageStatus::passed));
    }
    std::string text = out.text();
    auto spun = text.find("\r⠋ test ");
    REQUIRE(spun != std::string::npos);
    CHECK(text.find("s\x1b[K", spun) != std::string::npos);
    // Output after the spinner first clears its line.
    CHECK(text.find("\r\x1b[Kdone\n") != std::string::npos);
    CHECK(text.ends_with("ok  test passed in 1.5s\n"));
}

TEST_CASE("the summary names each profile's cache status, or that there is nothing to cache") {
    RunReport report;
    report.command = "build";
    report.stages.push_back(result("build", exec::StageStatus::passed));
    CacheSummary cache;
    cache.profiles.push_back({"release", "", "fresh", 0, "no external dependencies"});
    report.cache = cache;
    {
        Capture out;
        TerminalReporter(style(Verbosity::normal, false), out.file).summary(report);
        CHECK(out.text().find("  cache: nothing to cache (no external dependencies)\n") !=
              std::string::npos);
    }
    report.cache->profiles = {{"clippy", "k1", "hit-registry", 1, ""},
                              {"release", "k2", "miss", 1, ""}};
    report.cache->restore_ms = 1200;
    Capture out;
    TerminalReporter(style(Verbosity::normal, false), out.file).summary(report);
    CHECK(
        out.text().find("  cache: clippy hit-registry, release miss (restore 1.2s, save 0.0s)\n") !=
        std::string::npos);
}
