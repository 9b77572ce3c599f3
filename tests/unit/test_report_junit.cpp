// The libtest parser on output captured from real cargo (tests/fixtures/libtest/), and the XML.
#include "rcd/report/junit.hpp"
#include "rcd/util/fs.hpp"

#include <catch2/catch.hpp>

using namespace rcd;
using namespace rcd::report;

namespace {
std::string captured(const std::string& name) {
    auto text = util::read_file(std::string(RCD_SOURCE_DIR "/tests/fixtures/libtest/") + name);
    REQUIRE(text);
    return *text;
}

const TestCase* find_case(const TestSuite& suite, const std::string& name) {
    for (const auto& c : suite.cases)
        if (c.name == name)
            return &c;
    return nullptr;
}
} // namespace

TEST_CASE("cargo test's output: one suite per binary, doc tests included") {
    // `cargo test` on a crate with a passing, a failing (two-line panic) and an ignored unit
    // test, with --no-fail-fast so the integration test and doc tests run too.
    auto suites = parse_libtest(captured("mixed.txt"));
    REQUIRE(suites.size() == 3);
    CHECK(suites[0].name == "libtest_sample (src/lib.rs)");
    CHECK(suites[1].name == "api (tests/api.rs)");
    CHECK(suites[2].name == "libtest_sample (doc tests)");

    REQUIRE(suites[0].cases.size() == 3);
    auto* passed = find_case(suites[0], "tests::passes");
    auto* failed = find_case(suites[0], "tests::fails_with_two_lines");
    auto* ignored = find_case(suites[0], "tests::ignored");
    REQUIRE(passed);
    REQUIRE(failed);
    REQUIRE(ignored);
    CHECK(passed->outcome == TestOutcome::passed);
    CHECK(ignored->outcome == TestOutcome::skipped);
    CHECK(failed->outcome == TestOutcome::failed);
    CHECK(failed->output.find("captured stdout") != std::string::npos);
    CHECK(failed->output.find("first line\nsecond line <&>") != std::string::npos);
    REQUIRE(suites[0].seconds);

    REQUIRE(suites[1].cases.size() == 1);
    CHECK(suites[1].cases[0].name == "integration_passes");
    REQUIRE(suites[2].cases.size() == 1);
    CHECK(suites[2].cases[0].name.starts_with("src/lib.rs - double (line "));
    CHECK(suites[2].cases[0].outcome == TestOutcome::passed);
}

TEST_CASE("the JUnit document counts, escapes and carries the failure's message and output") {
    auto xml = junit_xml(parse_libtest(captured("mixed.txt")));
    CHECK(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"rcd\" "
                          "tests=\"5\" failures=\"1\" errors=\"0\" skipped=\"1\">"));
    const std::string passed =
        R"x(<testcase classname="libtest_sample (src/lib.rs)" name="tests::passes"/>)x";
    CHECK(xml.find(passed) != std::string::npos);
    CHECK(xml.find(R"(<failure message="first line" type="panic">)") != std::string::npos);
    CHECK(xml.find("second line &lt;&amp;&gt;") != std::string::npos);
    CHECK(xml.find("<skipped/>") != std::string::npos);
    CHECK(xml.find('\x1b') == std::string::npos);
}

TEST_CASE("text XML cannot hold is dropped, and nothing at all is an empty document") {
    TestSuite suite{"s", {{"t\x01", TestOutcome::failed, "\x1b[31mred\x1b[0m\x02"}}, std::nullopt};
    auto xml = junit_xml({suite});
    CHECK(xml.find('\x01') == std::string::npos);
    CHECK(xml.find('\x02') == std::string::npos);
    CHECK(xml.find("red") != std::string::npos);
    CHECK(junit_xml({}).find("tests=\"0\"") != std::string::npos);
}

TEST_CASE("a test line after a failure's output block is kept apart from that output") {
    // Found by fuzz_libtest: a result line between "---- x stdout ----" and its output grew
    // the list the open block pointed into.
    std::string out = "     Running unittests src/lib.rs (target/debug/deps/app-1)\n"
                      "test a ... FAILED\n"
                      "---- a stdout ----\n"
                      "first line\n";
    for (int i = 0; i < 64; ++i)
        out += "test t" + std::to_string(i) + " ... ok\n";
    out += "second line\n";
    auto suites = report::parse_libtest(out);
    REQUIRE(suites.size() == 1);
    REQUIRE(suites[0].cases.size() == 65);
    CHECK(suites[0].cases[0].output.starts_with("first line\nsecond line\n"));
}
