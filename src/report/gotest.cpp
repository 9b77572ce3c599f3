#include "rcd/report/gotest.hpp"

#include "rcd/report/diagnostics.hpp"
#include "rcd/util/strings.hpp"

#include <charconv>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace rcd::report {

namespace {

std::string text_field(const nlohmann::json& doc, const char* name) {
    auto it = doc.find(name);
    return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
}

TestCase& case_of(TestSuite& suite, const std::string& name) {
    for (auto& c : suite.cases)
        if (c.name == name)
            return c;
    suite.cases.push_back({name, TestOutcome::passed, ""});
    return suite.cases.back();
}

} // namespace

std::optional<GoTestEvent> parse_go_test_event(std::string_view line) {
    if (!line.starts_with("{"))
        return std::nullopt;
    auto doc = nlohmann::json::parse(line, nullptr, false);
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("Action"))
        return std::nullopt;
    GoTestEvent event;
    event.action = text_field(doc, "Action");
    event.package = text_field(doc, "Package");
    event.test = text_field(doc, "Test");
    event.output = text_field(doc, "Output");
    if (auto it = doc.find("Elapsed"); it != doc.end() && it->is_number())
        event.elapsed = it->get<double>();
    if (event.action.empty())
        return std::nullopt;
    return event;
}

std::vector<TestSuite> parse_go_test(std::string_view output) {
    std::vector<TestSuite> suites;
    std::map<std::string, std::size_t> index;
    auto suite_of = [&](const std::string& package) -> TestSuite& {
        auto [it, added] = index.try_emplace(package, suites.size());
        if (added)
            suites.push_back({package, {}, std::nullopt});
        return suites[it->second];
    };
    for (const auto& line : util::split(output, '\n')) {
        auto event = parse_go_test_event(line);
        if (!event || event->package.empty())
            continue;
        TestSuite& suite = suite_of(event->package);
        if (event->test.empty()) {
            if ((event->action == "pass" || event->action == "fail") && event->elapsed)
                suite.seconds = event->elapsed;
            continue;
        }
        TestCase& test = case_of(suite, event->test);
        if (event->action == "output")
            test.output += event->output;
        else if (event->action == "fail")
            test.outcome = TestOutcome::failed;
        else if (event->action == "skip")
            test.outcome = TestOutcome::skipped;
    }
    // Only a failure's output is kept, as for libtest.
    for (auto& suite : suites)
        for (auto& test : suite.cases)
            if (test.outcome != TestOutcome::failed)
                test.output.clear();
    return suites;
}

std::optional<GoTestFailure> parse_go_failure_line(std::string_view line) {
    // testing's t.Errorf prefix: four spaces (more for subtests), FILE.go:LINE: message
    std::size_t start = line.find_first_not_of(' ');
    if (start == std::string_view::npos || start < 4)
        return std::nullopt;
    auto colon = line.find(".go:", start);
    if (colon == std::string_view::npos || line.find(' ', start) < colon)
        return std::nullopt;
    auto digits = colon + 4;
    auto end = line.find(':', digits);
    if (end == std::string_view::npos)
        return std::nullopt;
    int number = 0;
    auto [ptr, ec] = std::from_chars(line.data() + digits, line.data() + end, number);
    if (ec != std::errc() || ptr != line.data() + end || number <= 0)
        return std::nullopt;
    GoTestFailure failure;
    failure.file = std::string(line.substr(start, colon + 3 - start));
    failure.line = number;
    failure.message = util::trim(line.substr(end + 1));
    return failure;
}

GoTestRenderer::GoTestRenderer(std::string module_path, std::string root, bool annotate,
                               bool verbose)
    : module_path_(std::move(module_path)), root_(std::move(root)), annotate_(annotate),
      verbose_(verbose) {}

std::string GoTestRenderer::annotation(const GoTestEvent& event, const std::string& output) const {
    if (!annotate_)
        return {};
    std::string dir;
    if (event.package == module_path_)
        dir = "";
    else if (!module_path_.empty() && event.package.starts_with(module_path_ + "/"))
        dir = event.package.substr(module_path_.size() + 1) + "/";
    else
        return {}; // not this module's package: no file to point at
    for (const auto& line : util::split(output, '\n'))
        if (auto failure = parse_go_failure_line(line))
            return fmt::format(
                "::error file={},line={},title={}::{}\n",
                escape_annotation_property(root_ + dir + failure->file), failure->line,
                escape_annotation_property(fmt::format("test {} failed", event.test)),
                escape_annotation_data(failure->message));
    return {};
}

std::string GoTestRenderer::line(std::string_view text) {
    auto event = parse_go_test_event(text);
    if (!event)
        return std::string(text) + "\n";
    if (event->test.empty()) {
        // A test binary's own "PASS"/"FAIL" line is what -json's -v adds: go test alone shows
        // only the package's line ("ok  example.com/x 0.01s").
        if (event->action != "output" ||
            (!verbose_ && (event->output == "PASS\n" || event->output == "FAIL\n")))
            return {};
        return event->output;
    }
    const std::string key = event->package + " " + event->test;
    if (event->action == "output") {
        if (verbose_)
            return event->output;
        held_[key] += event->output;
        return {};
    }
    if (event->action != "pass" && event->action != "fail" && event->action != "skip")
        return {};
    auto it = held_.find(key);
    std::string output = it == held_.end() ? "" : std::move(it->second);
    if (it != held_.end())
        held_.erase(it);
    if (event->action != "fail")
        return {};
    std::string out;
    if (!verbose_) // as go test without -v: no "=== RUN" lines
        for (const auto& line : util::split(output, '\n'))
            if (!line.empty() && !line.starts_with("=== "))
                out += line + "\n";
    // A parent of a failed subtest holds no file:line of its own: only the subtest annotates.
    return out + annotation(*event, output);
}

std::string GoTestRenderer::finish() {
    std::string out;
    for (auto& [key, output] : held_) // a test that never ended: its binary crashed or hung
        out += output;
    held_.clear();
    return out;
}

} // namespace rcd::report
