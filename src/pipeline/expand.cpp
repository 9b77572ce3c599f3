#include "rcd/pipeline/expand.hpp"

#include <fmt/format.h>

namespace rcd::pipeline {

Result<std::string> expand(const std::string& text, const VariableLookup& lookup) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text.compare(i, 3, "$${") == 0) {
            out += "${";
            i += 2;
            continue;
        }
        if (text.compare(i, 2, "${") != 0) {
            out += text[i];
            continue;
        }
        std::size_t close = text.find('}', i + 2);
        if (close == std::string::npos)
            return fail(ExitCode::usage, fmt::format("unclosed '${{' in '{}'", text),
                        "close it with '}', or write '$${' for a literal '${'");
        std::string name = text.substr(i + 2, close - i - 2);
        RCD_ASSIGN(auto value, lookup(name));
        if (!value)
            return fail(
                ExitCode::usage, fmt::format("unknown variable '${{{}}}' in '{}'", name, text),
                "the variables are ${name}, ${binary}, ${commit}, ${dir}, ${target_dir} and "
                "${rcd}; "
                "the go pipeline adds ${main_package} and ${module}");
        out += *value;
        i = close;
    }
    return out;
}

Result<Stage> expand_stage(const Stage& stage, const VariableLookup& lookup) {
    Stage out = stage;
    auto expand_all = [&](std::vector<std::string>& list) -> Status {
        for (auto& item : list) {
            RCD_ASSIGN(item, expand(item, lookup));
        }
        return {};
    };
    auto in_stage = [&](const Error& e) {
        return std::unexpected(
            e.with_context(fmt::format("{}: stage '{}'", stage.location.str(), stage.name)));
    };
    if (auto ok = expand_all(out.run); !ok)
        return in_stage(ok.error());
    if (auto ok = expand_all(out.args); !ok)
        return in_stage(ok.error());
    for (auto& [key, value] : out.env) {
        auto expanded = expand(value, lookup);
        if (!expanded)
            return in_stage(expanded.error());
        value = *expanded;
    }
    return out;
}

} // namespace rcd::pipeline
