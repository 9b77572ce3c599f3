// Cargo's JSON messages (--message-format=json) turned back into what people read, plus GitHub
// Actions annotations for rustc and clippy diagnostics.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace rcd::report {

struct Diagnostic {
    std::string level;   // error, warning, note, help, ...
    std::string message; // the first line rustc gives
    std::string code;    // e.g. clippy::needless_return, E0308; may be empty
    std::string file;    // of the primary span, relative to the workspace root
    int line = 0;
    int column = 0;
    int end_line = 0;
    int end_column = 0;
    std::string rendered; // the human text, as cargo would have printed it
};

// What one line of a cargo stage's output becomes: nothing (an artifact message), the rendered
// text of a diagnostic, or the line itself when it is not a cargo message.
struct CargoLine {
    bool message = false;                 // a cargo JSON message, not a line of other output
    std::string text;                     // to show: a rendered diagnostic, or the line
    std::optional<Diagnostic> diagnostic; // a compiler message with a primary span
};

CargoLine parse_cargo_line(std::string_view line);

// GitHub's escaping: data escapes %, CR and LF; properties also ':' and ','.
std::string escape_annotation_data(std::string_view text);
std::string escape_annotation_property(std::string_view text);

// "thread 'tests::adds' panicked at src/lib.rs:10:9:" (and the older form with the message
// before the location): where a failing test stopped.
struct Panic {
    std::string test; // "tests::adds"; "main" in a doc test
    std::string file;
    int line = 0;
    int column = 0;
    std::string message; // the old form's; the new form's follows on the next lines
};
std::optional<Panic> parse_panic_line(std::string_view line);

// `::error file=…,line=…,col=…,title=…::message` for a test's panic; nothing for a panic in a
// file outside the repository (an absolute path: a dependency's).
std::optional<std::string> panic_annotation(const Panic& panic, const std::string& root);

// `::error file=…,line=…,col=…,endLine=…,endColumn=…,title=…::message` (warning for warnings;
// nothing for notes and help). `root` is the workspace root relative to the repository root,
// with a trailing '/', or empty.
std::optional<std::string> github_annotation(const Diagnostic& diagnostic, const std::string& root);

} // namespace rcd::report
