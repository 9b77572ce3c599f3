#include "rcd/report/gotest.hpp"

#include <catch2/catch.hpp>

using namespace rcd::report;

namespace {
// What `go test -json ./...` printed for a module with one passing and one failing test (a
// subtest failing inside it), and a package without tests; Go 1.19.
const char* kOutput =
    R"({"Time":"2026-12-02T05:00:00Z","Action":"output","Package":"example.com/api/cmd/api","Output":"?   \texample.com/api/cmd/api\t[no test files]\n"}
{"Time":"2026-12-02T05:00:00Z","Action":"skip","Package":"example.com/api/cmd/api","Elapsed":0}
{"Time":"2026-12-02T05:00:00Z","Action":"run","Package":"example.com/api/greet","Test":"TestHello"}
{"Time":"2026-12-02T05:00:00Z","Action":"output","Package":"example.com/api/greet","Test":"TestHello","Output":"=== RUN   TestHello\n"}
{"Time":"2026-12-02T05:00:00Z","Action":"output","Package":"example.com/api/greet","Test":"TestHello","Output":"--- PASS: TestHello (0.00s)\n"}
{"Time":"2026-12-02T05:00:00Z","Action":"pass","Package":"example.com/api/greet","Test":"TestHello","Elapsed":0}
{"Time":"2026-12-02T05:00:00Z","Action":"run","Package":"example.com/api/greet","Test":"TestTable"}
{"Time":"2026-12-02T05:00:00Z","Action":"output","Package":"example.com/api/greet","Test":"TestTable","Output":"=== RUN   TestTable\n"}
{"Time":"2026-12-02T05:00:00Z","Action":"run","Package":"example.com/api/greet","Test":"TestTable/empty"}
{"Time":"2026-12-02T05:00:00Z","Action":"output","Package":"example.com/api/greet","Test":"TestTable/empty","Output":"=== RUN   TestTable/empty\n"}
{"Time":"2026-12-02T05:00:00Z","Action":"output","Package":"example.com/api/greet","Test":"TestTable/empty","Output":"    greet_test.go:21: Hello(\"\") = \"hello, \", want \"hello, world\"\n"}
{"Time":"2026-12-02T05:00:00Z","Action":"output","Package":"example.com/api/greet","Test":"TestTable/empty","Output":"--- FAIL: TestTable/empty (0.00s)\n"}
{"Time":"2026-12-02T05:00:00Z","Action":"fail","Package":"example.com/api/greet","Test":"TestTable/empty","Elapsed":0}
{"Time":"2026-12-02T05:00:00Z","Action":"output","Package":"example.com/api/greet","Test":"TestTable","Output":"--- FAIL: TestTable (0.00s)\n"}
{"Time":"2026-12-02T05:00:00Z","Action":"fail","Package":"example.com/api/greet","Test":"TestTable","Elapsed":0}
{"Time":"2026-12-02T05:00:00Z","Action":"output","Package":"example.com/api/greet","Output":"FAIL\n"}
{"Time":"2026-12-02T05:00:00Z","Action":"output","Package":"example.com/api/greet","Output":"FAIL\texample.com/api/greet\t0.012s\n"}
{"Time":"2026-12-02T05:00:00Z","Action":"fail","Package":"example.com/api/greet","Elapsed":0.012}
)";

std::string render(GoTestRenderer& renderer, const std::string& text) {
    std::string out;
    std::size_t start = 0;
    for (auto end = text.find('\n'); end != std::string::npos;
         start = end + 1, end = text.find('\n', start))
        out += renderer.line(std::string_view(text).substr(start, end - start));
    return out + renderer.finish();
}
} // namespace

TEST_CASE("a test2json line is an event; anything else is not") {
    auto event =
        parse_go_test_event(R"({"Action":"fail","Package":"p","Test":"TestX","Elapsed":0.5})");
    REQUIRE(event);
    CHECK(event->action == "fail");
    CHECK(event->test == "TestX");
    CHECK(event->elapsed == 0.5);
    CHECK_FALSE(parse_go_test_event("# example.com/api\n./main.go:3:1: syntax error"));
    CHECK_FALSE(parse_go_test_event(R"({"reason":"compiler-artifact"})"));
    CHECK_FALSE(parse_go_test_event(R"({"Action":7})"));
    CHECK_FALSE(parse_go_test_event("{not json"));
}

TEST_CASE("go test's events become one JUnit suite per package, with subtests as cases") {
    auto suites = parse_go_test(kOutput);
    REQUIRE(suites.size() == 2);
    CHECK(suites[0].name == "example.com/api/cmd/api");
    CHECK(suites[0].cases.empty());
    const auto& greet = suites[1];
    CHECK(greet.name == "example.com/api/greet");
    CHECK(greet.seconds == 0.012);
    REQUIRE(greet.cases.size() == 3);
    CHECK(greet.cases[0].name == "TestHello");
    CHECK(greet.cases[0].outcome == TestOutcome::passed);
    CHECK(greet.cases[0].output.empty()); // a pass keeps no output
    CHECK(greet.cases[1].name == "TestTable");
    CHECK(greet.cases[1].outcome == TestOutcome::failed);
    CHECK(greet.cases[2].name == "TestTable/empty");
    CHECK(greet.cases[2].outcome == TestOutcome::failed);
    CHECK(greet.cases[2].output.find("greet_test.go:21: Hello(\"\")") != std::string::npos);
    CHECK(junit_xml(suites).find("name=\"TestTable/empty\"") != std::string::npos);
}

TEST_CASE("a t.Errorf line names its file and line") {
    auto failure = parse_go_failure_line("        handler_test.go:23: want 200, got 500");
    REQUIRE(failure);
    CHECK(failure->file == "handler_test.go");
    CHECK(failure->line == 23);
    CHECK(failure->message == "want 200, got 500");
    CHECK_FALSE(parse_go_failure_line("handler_test.go:23: not indented"));
    CHECK_FALSE(parse_go_failure_line("    see docs/a b.go:3: x"));
    CHECK_FALSE(parse_go_failure_line("    x.go:abc: x"));
}

TEST_CASE("the renderer shows what go test shows: failures and the packages' lines") {
    GoTestRenderer renderer("example.com/api", "", false, false);
    auto text = render(renderer, kOutput);
    CHECK(text == "?   \texample.com/api/cmd/api\t[no test files]\n"
                  "    greet_test.go:21: Hello(\"\") = \"hello, \", want \"hello, world\"\n"
                  "--- FAIL: TestTable/empty (0.00s)\n"
                  "--- FAIL: TestTable (0.00s)\n"
                  "FAIL\texample.com/api/greet\t0.012s\n");
    // Plain lines (a build error) pass through.
    CHECK(renderer.line("# example.com/api") == "# example.com/api\n");
}

TEST_CASE("under GitHub a failing test is annotated at its line, once, from the repository root") {
    GoTestRenderer renderer("example.com/api", "services/api/", true, false);
    auto text = render(renderer, kOutput);
    const std::string annotation =
        "::error file=services/api/greet/greet_test.go,line=21,title=test TestTable/empty "
        "failed::Hello(\"\") = \"hello, \", want \"hello, world\"\n";
    auto at = text.find(annotation);
    REQUIRE(at != std::string::npos);
    CHECK(text.find("::error", at + 1) == std::string::npos);
}

TEST_CASE("verbose shows every test's output as it comes") {
    GoTestRenderer renderer("example.com/api", "", false, true);
    auto text = render(renderer, kOutput);
    CHECK(text.find("=== RUN   TestHello\n--- PASS: TestHello (0.00s)\n") != std::string::npos);
}

TEST_CASE("a test that never ends (its binary crashed) keeps its output for the end") {
    GoTestRenderer renderer("example.com/api", "", false, false);
    CHECK(renderer
              .line(R"({"Action":"output","Package":"p","Test":"TestX","Output":"panic: boom\n"})")
              .empty());
    CHECK(renderer.finish() == "panic: boom\n");
}
