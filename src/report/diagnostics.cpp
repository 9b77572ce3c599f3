#include "rcd/report/diagnostics.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <type_traits>

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

namespace {

// A field of cargo's JSON, or `fallback` when it is missing or of another type: the fuzzer
// found that a mistyped field threw.
template <typename T> T field(const nlohmann::json& object, const char* name, T fallback) {
    auto it = object.find(name);
    if (it == object.end())
        return fallback;
    if constexpr (std::is_same_v<T, std::string>) {
        if (!it->is_string())
            return fallback;
    } else if constexpr (std::is_same_v<T, bool>) {
        if (!it->is_boolean())
            return fallback;
    } else {
        if (!it->is_number_integer())
            return fallback;
    }
    return it->get<T>();
}

} // namespace

CargoLine parse_cargo_line(std::string_view line) {
    if (!line.starts_with("{\"reason\""))
        return {false, std::string(line), std::nullopt};
    auto doc = nlohmann::json::parse(line, nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
        return {false, std::string(line), std::nullopt};
    CargoLine out;
    out.message = true;
    if (field<std::string>(doc, "reason", "") != "compiler-message" || !doc.contains("message") ||
        !doc["message"].is_object())
        return out; // artifacts, build scripts, build-finished: cargo prints none of them
    const auto& message = doc["message"];
    if (message.contains("rendered") && message["rendered"].is_string())
        out.text = message["rendered"].get<std::string>();
    Diagnostic d;
    d.level = field<std::string>(message, "level", "");
    d.message = field<std::string>(message, "message", "");
    d.rendered = out.text;
    if (message.contains("code") && message["code"].is_object())
        d.code = field<std::string>(message["code"], "code", "");
    if (message.contains("spans") && message["spans"].is_array())
        for (const auto& span : message["spans"]) {
            if (!span.is_object() || !field(span, "is_primary", false))
                continue;
            d.file = field<std::string>(span, "file_name", "");
            d.line = field(span, "line_start", 0);
            d.column = field(span, "column_start", 0);
            d.end_line = field(span, "line_end", 0);
            d.end_column = field(span, "column_end", 0);
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

std::optional<Panic> parse_panic_line(std::string_view line) {
    // "thread 'NAME' panicked at", or since Rust 1.89 "thread 'NAME' (ID) panicked at".
    constexpr std::string_view kThread = "thread '";
    constexpr std::string_view kPanicked = " panicked at ";
    auto start = line.find(kThread);
    auto at = line.find(kPanicked, start == std::string_view::npos ? 0 : start);
    if (start == std::string_view::npos || at == std::string_view::npos)
        return std::nullopt;
    auto name_end = line.rfind('\'', at);
    if (name_end == std::string_view::npos || name_end < start + kThread.size())
        return std::nullopt;
    Panic panic;
    panic.test =
        std::string(line.substr(start + kThread.size(), name_end - start - kThread.size()));
    std::string_view rest = line.substr(at + kPanicked.size());
    if (rest.starts_with('\'')) { // before Rust 1.73: 'message', file:line:col
        auto close = rest.rfind("', ");
        if (close == std::string_view::npos)
            return std::nullopt;
        panic.message = std::string(rest.substr(1, close - 1));
        rest = rest.substr(close + 3);
    } else if (rest.ends_with(':')) {
        rest.remove_suffix(1);
    }
    // file:line:col, where the file may itself hold colons.
    auto last = rest.rfind(':');
    if (last == std::string_view::npos)
        return std::nullopt;
    auto middle = rest.rfind(':', last - 1);
    if (middle == std::string_view::npos || middle == 0)
        return std::nullopt;
    auto number = [](std::string_view text) {
        int value = 0;
        if (text.empty() || text.size() > 9)
            return -1;
        for (char c : text) {
            if (c < '0' || c > '9')
                return -1;
            value = value * 10 + (c - '0');
        }
        return value;
    };
    panic.line = number(rest.substr(middle + 1, last - middle - 1));
    panic.column = number(rest.substr(last + 1));
    panic.file = std::string(rest.substr(0, middle));
    if (panic.line <= 0 || panic.column < 0 || panic.file.empty())
        return std::nullopt;
    return panic;
}

std::optional<std::string> panic_annotation(const Panic& panic, const std::string& root) {
    if (panic.file.starts_with('/'))
        return std::nullopt;
    std::string message = panic.message;
    while (!message.empty() && message.back() == '\n')
        message.pop_back();
    return fmt::format("::error file={},line={},col={},title={}::{}\n",
                       escape_annotation_property(root + panic.file), panic.line, panic.column,
                       escape_annotation_property(fmt::format("test {} panicked", panic.test)),
                       escape_annotation_data(message.empty() ? "panicked" : message));
}

} // namespace rcd::report
