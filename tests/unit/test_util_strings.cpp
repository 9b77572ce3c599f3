#include "rcd/util/strings.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>

using namespace rcd::util;

TEST_CASE("edit distance counts insertions, deletions and substitutions") {
    CHECK(edit_distance("stages", "stages") == 0);
    CHECK(edit_distance("stagse", "stages") == 1); // a transposition is one edit
    CHECK(edit_distance("tset", "test") == 1);
    CHECK(edit_distance("", "abc") == 3);
    CHECK(edit_distance("kitten", "sitting") == 3);
}

TEST_CASE("closest match suggests a near word and nothing for a far one") {
    std::vector<std::string> keys = {"name", "language", "registry", "stages"};
    CHECK(closest_match("stagse", keys) == "stages");
    CHECK(closest_match("langauge", keys) == "language");
    CHECK_FALSE(closest_match("zzzzzz", keys).has_value());
}

TEST_CASE("shell quoting leaves plain words and quotes the rest") {
    CHECK(shell_join({"cargo", "clippy", "--", "-D", "warnings"}) == "cargo clippy -- -D warnings");
    CHECK(shell_quote("a b") == "'a b'");
    CHECK(shell_quote("it's") == "'it'\\''s'");
    CHECK(shell_quote("") == "''");
}

TEST_CASE("strip_ansi removes colour and cursor sequences") {
    CHECK(strip_ansi("\x1b[1m\x1b[32mCompiling\x1b[0m x") == "Compiling x");
    CHECK(strip_ansi("plain") == "plain");
    CHECK(strip_ansi("a\x1b[2Kb") == "ab");
    CHECK(strip_ansi("\x1b[31m-x\x1b(B\x1b[m") == "-x"); // as rustfmt's diff prints it
}

TEST_CASE("durations print as seconds, then minutes") {
    CHECK(format_duration_ms(300) == "0.3s");
    CHECK(format_duration_ms(12'400) == "12.4s");
    CHECK(format_duration_ms(125'000) == "2m05s");
}

TEST_CASE("split keeps empty fields") {
    CHECK(split("a,,b", ',') == std::vector<std::string>{"a", "", "b"});
    CHECK(join({"a", "b"}, ", ") == "a, b");
}

TEST_CASE("sizes take K, M, G and T as powers of 1024, and refuse anything else") {
    CHECK(parse_size("4096") == 4096);
    CHECK(parse_size("500M") == 500LL * 1024 * 1024);
    CHECK(parse_size("1.5G") == 3LL * 512 * 1024 * 1024);
    CHECK(parse_size("2GiB") == 2LL * 1024 * 1024 * 1024);
    CHECK(parse_size("10kb") == 10 * 1024);
    CHECK(parse_size("0") == 0);
    CHECK_FALSE(parse_size("lots"));
    CHECK_FALSE(parse_size("5X"));
    CHECK_FALSE(parse_size(""));
    CHECK_FALSE(parse_size("-1"));
}

TEST_CASE("trim, bytes and rates read as people write them") {
    CHECK(trim("  a b \n") == "a b");
    CHECK(trim(" \t\n") == "");
    CHECK(format_bytes(512) == "0.5 KB");
    CHECK(format_bytes(3 * 1024 * 1024) == "3.0 MB");
    CHECK(format_rate(10 * 1024 * 1024, 2000) == "5.0 MB/s");
}

TEST_CASE("text from outside reaches a terminal with its controls shown, not obeyed") {
    CHECK(rcd::util::printable("plain words: fine") == "plain words: fine");
    CHECK(rcd::util::printable("red \x1b[31mALERT\x1b[0m") == "red \\x1b[31mALERT\\x1b[0m");
    CHECK(rcd::util::printable("two\nlines\rback") == "two\\nlines\\x0dback");
    CHECK(rcd::util::printable("\xc2\x9b"
                               "2J clear") == "\\u009b2J clear"); // CSI as UTF-8
    CHECK(rcd::util::printable("caf\xc3\xa9") == "caf\xc3\xa9");  // other UTF-8 passes
    CHECK(rcd::util::printable(std::string(1000, 'x'), 10) == "xxxxxxxxxx...");
}

TEST_CASE("an environment variable counts when it is set and not empty") {
    ::setenv("RCD_TEST_ENV", "value", 1);
    CHECK(env("RCD_TEST_ENV") == std::optional<std::string>("value"));
    ::setenv("RCD_TEST_ENV", "", 1);
    CHECK_FALSE(env("RCD_TEST_ENV"));
    ::unsetenv("RCD_TEST_ENV");
    CHECK_FALSE(env("RCD_TEST_ENV"));
}
