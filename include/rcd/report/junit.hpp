// JUnit XML from libtest's output: one testsuite per test binary (unit, integration and doc
// tests alike), one testcase per test.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rcd::report {

enum class TestOutcome { passed, failed, skipped };

struct TestCase {
    std::string name;
    TestOutcome outcome = TestOutcome::passed;
    std::string output; // captured stdout of a failure, with its panic message
};

struct TestSuite {
    std::string name; // "codec (src/lib.rs)", "api (tests/api.rs)", "codec (doc tests)"
    std::vector<TestCase> cases;
    std::optional<double> seconds; // from "finished in 0.12s"
};

// Parses the output of `cargo test` (any number of test binaries, in order).
std::vector<TestSuite> parse_libtest(std::string_view output);

// A whole JUnit document; text is escaped and stripped of what XML 1.0 cannot hold.
std::string junit_xml(const std::vector<TestSuite>& suites);

} // namespace rcd::report
