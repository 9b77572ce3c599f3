// `go test -json` output (test2json's events): rendered back into what `go test` prints, read
// for JUnit XML, and turned into GitHub annotations for failing tests.
#pragma once

#include "rcd/report/junit.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rcd::report {

struct GoTestEvent {
    std::string action; // run, pause, cont, pass, fail, skip, output, bench, start
    std::string package;
    std::string test; // empty for the package's own events
    std::string output;
    std::optional<double> elapsed;
};

// One line of output as an event; nothing for a line that is not one (build errors, which go
// test prints as plain text).
std::optional<GoTestEvent> parse_go_test_event(std::string_view line);

// One suite per package, one case per test (subtests as "TestA/sub"), in the order they ran.
std::vector<TestSuite> parse_go_test(std::string_view output);

// "    handler_test.go:23: want 200, got 500": where a test said it failed.
struct GoTestFailure {
    std::string file; // relative to the package's directory
    int line = 0;
    std::string message;
};
std::optional<GoTestFailure> parse_go_failure_line(std::string_view line);

// Turns events back into go test's own (non-verbose) text: each test's output is held until
// the test ends and shown only when it failed; the packages' lines ("ok  ...", "FAIL ...")
// pass through. Under GitHub Actions, a failing test also gives an `::error` annotation at the
// line its output names. Lines that are not events pass through unchanged.
class GoTestRenderer {
  public:
    // `module_path`: go.mod's module, to find a package's directory; `root`: the module's root
    // relative to the repository, with a trailing '/', or "". `verbose`: show every test's
    // output, as go test -v does.
    GoTestRenderer(std::string module_path, std::string root, bool annotate, bool verbose);

    std::string line(std::string_view line); // one complete line, without its newline
    std::string finish();                    // what is still held when the stage ends

  private:
    std::string annotation(const GoTestEvent& event, const std::string& output) const;

    std::string module_path_;
    std::string root_;
    bool annotate_;
    bool verbose_;
    std::map<std::string, std::string> held_; // "package test" -> its output so far
};

} // namespace rcd::report
