#include "rcd/report/junit.hpp"

#include "rcd/util/strings.hpp"

#include <fmt/format.h>

namespace rcd::report {

namespace {

// "     Running unittests src/lib.rs (target/debug/deps/codec-5d0c1e2f3a4b5c6d)"
std::optional<std::string> running_suite(const std::string& line) {
    auto text = util::trim(line);
    if (!text.starts_with("Running "))
        return std::nullopt;
    text = text.substr(8);
    auto open = text.rfind(" (");
    if (open == std::string::npos || !text.ends_with(")"))
        return text;
    std::string source = text.substr(0, open);
    if (source.starts_with("unittests "))
        source = source.substr(10);
    std::string binary = text.substr(open + 2, text.size() - open - 3);
    binary = binary.substr(binary.find_last_of('/') + 1);
    if (auto dash = binary.rfind('-'); dash != std::string::npos)
        binary = binary.substr(0, dash);
    return fmt::format("{} ({})", binary, source);
}

// "test a::b ... ok" -> (a::b, ok)
std::optional<std::pair<std::string, std::string>> test_line(const std::string& line) {
    if (!line.starts_with("test ") || line.starts_with("test result:"))
        return std::nullopt;
    auto dots = line.rfind(" ... ");
    if (dots == std::string::npos)
        return std::nullopt;
    return std::pair{line.substr(5, dots - 5), util::trim(line.substr(dots + 5))};
}

std::string xml_escape(std::string_view text) {
    std::string clean = util::strip_ansi(text);
    std::string out;
    for (char c : clean) {
        auto u = static_cast<unsigned char>(c);
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&apos;";
            break;
        default:
            if (u < 0x20 && c != '\n' && c != '\t' && c != '\r')
                continue; // not allowed in XML 1.0
            out += c;
        }
    }
    return out;
}

} // namespace

std::vector<TestSuite> parse_libtest(std::string_view output) {
    std::vector<TestSuite> suites;
    // The failure whose "---- NAME stdout ----" block is open, by its index in the last suite:
    // a test line may still follow and grow the vector.
    constexpr std::size_t kNone = static_cast<std::size_t>(-1);
    std::size_t capturing = kNone;
    for (const auto& raw : util::split(output, '\n')) {
        std::string line = raw.ends_with('\r') ? raw.substr(0, raw.size() - 1) : raw;
        if (auto suite = running_suite(line)) {
            suites.push_back({*suite, {}, std::nullopt});
            capturing = kNone;
            continue;
        }
        if (auto trimmed = util::trim(line); trimmed.starts_with("Doc-tests ")) {
            suites.push_back({trimmed.substr(10) + " (doc tests)", {}, std::nullopt});
            capturing = kNone;
            continue;
        }
        if (suites.empty())
            continue;
        TestSuite& suite = suites.back();
        if (auto test = test_line(line)) {
            TestOutcome outcome = test->second == "ok"                  ? TestOutcome::passed
                                  : test->second.starts_with("ignored") ? TestOutcome::skipped
                                                                        : TestOutcome::failed;
            suite.cases.push_back({test->first, outcome, ""});
            continue;
        }
        if (line.starts_with("---- ") && line.ends_with(" ----")) {
            std::string name = line.substr(5, line.size() - 10);
            for (const char* tail : {" stdout", " stderr"})
                if (name.ends_with(tail))
                    name.resize(name.size() - 7);
            capturing = kNone;
            for (std::size_t i = 0; i < suite.cases.size(); ++i)
                if (suite.cases[i].name == name)
                    capturing = i;
            continue;
        }
        if (line == "failures:" || line.starts_with("test result:")) {
            capturing = kNone;
            if (auto at = line.find("finished in "); at != std::string::npos)
                suite.seconds = std::strtod(line.c_str() + at + 12, nullptr);
            continue;
        }
        if (capturing != kNone)
            suite.cases[capturing].output += line + "\n";
    }
    return suites;
}

std::string junit_xml(const std::vector<TestSuite>& suites) {
    std::size_t tests = 0, failures = 0, skipped = 0;
    std::string body;
    for (const auto& suite : suites) {
        std::size_t f = 0, s = 0;
        std::string cases;
        for (const auto& c : suite.cases) {
            std::string open = fmt::format(R"(    <testcase classname="{}" name="{}")",
                                           xml_escape(suite.name), xml_escape(c.name));
            if (c.outcome == TestOutcome::passed) {
                cases += open + "/>\n";
            } else if (c.outcome == TestOutcome::skipped) {
                ++s;
                cases += open + ">\n      <skipped/>\n    </testcase>\n";
            } else {
                ++f;
                std::string output = util::trim(c.output);
                // The panic message is the line after "panicked at ...".
                std::string message = "test failed";
                auto lines = util::split(output, '\n');
                for (std::size_t i = 0; i + 1 < lines.size(); ++i)
                    if (lines[i].find("panicked at") != std::string::npos) {
                        message = lines[i + 1];
                        break;
                    }
                cases +=
                    fmt::format("{}>\n      <failure message=\"{}\" type=\"panic\">{}</failure>\n"
                                "      <system-out>{}</system-out>\n    </testcase>\n",
                                open, xml_escape(message), xml_escape(output), xml_escape(output));
            }
        }
        tests += suite.cases.size();
        failures += f;
        skipped += s;
        body += fmt::format(
            R"(  <testsuite name="{}" tests="{}" failures="{}" errors="0" skipped="{}"{}>)"
            "\n{}"
            "  </testsuite>\n",
            xml_escape(suite.name), suite.cases.size(), f, s,
            suite.seconds ? fmt::format(R"( time="{:.3f}")", *suite.seconds) : "", cases);
    }
    return fmt::format("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                       "<testsuites name=\"rcd\" tests=\"{}\" failures=\"{}\" errors=\"0\" "
                       "skipped=\"{}\">\n{}</testsuites>\n",
                       tests, failures, skipped, body);
}

} // namespace rcd::report
