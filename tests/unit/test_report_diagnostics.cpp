// Cargo's JSON messages back to text, and GitHub annotations with GitHub's escaping.
#include "rcd/report/diagnostics.hpp"

#include <catch2/catch.hpp>

using namespace rcd::report;

namespace {
// A line of `cargo clippy --message-format=json`, captured from cargo 1.95 (spans trimmed to the
// fields rcd reads, which is all of them the real line carries).
const std::string kClippyError =
    R"({"reason":"compiler-message","package_id":"path+file:///w#app@0.1.0","manifest_path":"/w/Cargo.toml","target":{"kind":["lib"],"name":"app"},"message":{"rendered":"error: unneeded `return` statement\n  --> src/lib.rs:12:5\n   |\n12 |     return a * 2;\n   |     ^^^^^^^^^^^^\n\n","$message_type":"diagnostic","children":[],"code":{"code":"clippy::needless_return","explanation":null},"level":"error","message":"unneeded `return` statement","spans":[{"byte_end":200,"byte_start":188,"column_end":17,"column_start":5,"expansion":null,"file_name":"src/lib.rs","is_primary":true,"label":null,"line_end":12,"line_start":12,"suggested_replacement":null,"suggestion_applicability":null,"text":[]}]}})";
} // namespace

TEST_CASE("a compiler message shows its rendered text and carries its primary span") {
    auto line = parse_cargo_line(kClippyError);
    CHECK(line.message);
    CHECK(line.text.starts_with("error: unneeded `return` statement\n  --> src/lib.rs:12:5"));
    REQUIRE(line.diagnostic);
    CHECK(line.diagnostic->level == "error");
    CHECK(line.diagnostic->code == "clippy::needless_return");
    CHECK(line.diagnostic->file == "src/lib.rs");
    CHECK(line.diagnostic->line == 12);
    CHECK(line.diagnostic->column == 5);
    CHECK(line.diagnostic->end_column == 17);
}

TEST_CASE("artifact messages show nothing, and other output passes through") {
    auto artifact = parse_cargo_line(
        R"({"reason":"compiler-artifact","package_id":"x","filenames":[],"fresh":true})");
    CHECK(artifact.message);
    CHECK(artifact.text.empty());
    CHECK_FALSE(artifact.diagnostic);
    auto plain = parse_cargo_line("test tests::adds ... ok");
    CHECK_FALSE(plain.message);
    CHECK(plain.text == "test tests::adds ... ok");
    auto broken = parse_cargo_line(R"({"reason": broken)");
    CHECK_FALSE(broken.message);
}

TEST_CASE("annotations escape data and properties the way GitHub specifies") {
    CHECK(escape_annotation_data("50% done\r\nnext: a,b") == "50%25 done%0D%0Anext: a,b");
    CHECK(escape_annotation_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A");
}

TEST_CASE("an error becomes ::error with the path from the repository root") {
    auto line = parse_cargo_line(kClippyError);
    REQUIRE(line.diagnostic);
    auto annotation = github_annotation(*line.diagnostic, "services/app/");
    REQUIRE(annotation);
    CHECK(annotation->starts_with("::error file=services/app/src/lib.rs,line=12,col=5,endLine=12,"
                                  "endColumn=17,title=unneeded `return` statement "
                                  "(clippy%3A%3Aneedless_return)::error: unneeded"));
    CHECK(annotation->find('\n') == annotation->size() - 1); // one line: newlines are escaped
    Diagnostic note = *line.diagnostic;
    note.level = "note";
    CHECK_FALSE(github_annotation(note, ""));
    Diagnostic warning = *line.diagnostic;
    warning.level = "warning";
    CHECK(github_annotation(warning, "")->starts_with("::warning file=src/lib.rs,"));
}

TEST_CASE("libtest's panic lines give the test, the file and the position") {
    auto now = parse_panic_line("thread 'tests::adds' panicked at src/lib.rs:12:9:");
    REQUIRE(now);
    CHECK(now->test == "tests::adds");
    CHECK(now->file == "src/lib.rs");
    CHECK(now->line == 12);
    CHECK(now->column == 9);
    CHECK(now->message.empty());
    auto with_id = parse_panic_line("thread 'tests::adds' (1297) panicked at src/lib.rs:17:9:");
    REQUIRE(with_id);
    CHECK(with_id->test == "tests::adds");
    CHECK(with_id->line == 17);
    auto old =
        parse_panic_line("thread 'main' panicked at 'assertion failed: x == 1', tests/api.rs:4:5");
    REQUIRE(old);
    CHECK(old->message == "assertion failed: x == 1");
    CHECK(old->file == "tests/api.rs");
    CHECK(old->line == 4);
    CHECK_FALSE(parse_panic_line("test tests::adds ... FAILED"));
    CHECK_FALSE(parse_panic_line("thread 'x' panicked at nowhere:"));
    auto dependency =
        parse_panic_line("thread 'main' panicked at /root/.cargo/registry/src/x/lib.rs:1:1:");
    REQUIRE(dependency);
    CHECK_FALSE(panic_annotation(*dependency, ""));
}

TEST_CASE("a cargo message with fields of other types is read as far as it goes") {
    // Found by fuzz_libtest: "level" as an array threw out of parse_cargo_line.
    auto line = rcd::report::parse_cargo_line(
        R"({"reason":"compiler-message","message":{"level":[1],"message":7,"spans":[{"is_primary":true,"file_name":["x"],"line_start":"3"}],"rendered":"error"}})");
    CHECK(line.message);
    CHECK(line.text == "error");
    REQUIRE(line.diagnostic);
    CHECK(line.diagnostic->level.empty());
    CHECK(line.diagnostic->file.empty());
    CHECK(line.diagnostic->line == 0);
}
