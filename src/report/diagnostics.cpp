#include "rcd/report/diagnostics.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace rcd::report {

namespace {

std::string escape(std::string_view text, bool property) {
    std::string out;
    for (char c : text) {
        switch (c) {
        case '%':
            out += "%25";
            break;
        case '\r':
            out += "%0D";
            break;
        case '\n':
            out += "%0A";
            break;
        case ':':
            out += property ? "%3A" : ":";
            break;
        case ',':
            out += property ? "%2C" : ",";
            break;
        default:
            out += c;
        }
    }
    return out;
}

} // namespace

std::string escape_annotation_data(std::string_view text) {
    return escape(text, false);
}

std::string escape_annotation_property(std::string_view text) {
    return escape(text, true);
}

CargoLine parse_cargo_line(std::string_view line) {
    if (!line.starts_with("{\"reason\""))
        return {false, std::string(line), std::nullopt};
    auto doc = nlohmann::json::parse(line, nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
        return {false, std::string(line), std::nullopt};
    CargoLine out;
    out.message = true;
    if (doc.value("reason", "") != "compiler-message" || !doc.contains("message") ||
        !doc["message"].is_object())
        return out; // artifacts, build scripts, build-finished: cargo prints none of them
    const auto& message = doc["message"];
    if (message.contains("rendered") && message["rendered"].is_string())
        out.text = message["rendered"].get<std::string>();
    Diagnostic d;
    d.level = message.value("level", "");
    d.message = message.value("message", "");
    d.rendered = out.text;
    if (message.contains("code") && message["code"].is_object())
        d.code = message["code"].value("code", "");
    if (message.contains("spans") && message["spans"].is_array())
        for (const auto& span : message["spans"]) {
            if (!span.is_object() || !span.value("is_primary", false))
                continue;
            d.file = span.value("file_name", "");
            d.line = span.value("line_start", 0);
            d.column = span.value("column_start", 0);
            d.end_line = span.value("line_end", 0);
            d.end_column = span.value("column_end", 0);
            out.diagnostic = d;
            break;
        }
    return out;
}

std::optional<std::string> github_annotation(const Diagnostic& d, const std::string& root) {
    std::string command;
    if (d.level == "error" || d.level == "error: internal compiler error")
        command = "error";
    else if (d.level == "warning")
        command = "warning";
    else
        return std::nullopt;
    std::string title = d.code.empty() ? d.message : fmt::format("{} ({})", d.message, d.code);
    // The rendered text, without its first line (the message again), tells where and why.
    std::string body = d.rendered.empty() ? d.message : d.rendered;
    while (!body.empty() && body.back() == '\n')
        body.pop_back();
    return fmt::format("::{} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
                       command, escape_annotation_property(root + d.file), d.line, d.column,
                       d.end_line, d.end_column, escape_annotation_property(title),
                       escape_annotation_data(body));
}

} // namespace rcd::report
