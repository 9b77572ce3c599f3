#include "yaml_reader.hpp"

#include "rcd/util/duration.hpp"
#include "rcd/util/strings.hpp"

#include <fmt/format.h>
#include <set>

namespace rcd::pipeline::detail {

namespace {
const char* kind_of(const YAML::Node& node) {
    switch (node.Type()) {
    case YAML::NodeType::Map:
        return "a map";
    case YAML::NodeType::Sequence:
        return "a list";
    case YAML::NodeType::Scalar:
        return "a value";
    case YAML::NodeType::Null:
        return "nothing";
    default:
        return "nothing";
    }
}
} // namespace

Result<YAML::Node> YamlReader::parse(std::string_view text) const {
    try {
        return YAML::Load(std::string(text));
    } catch (const YAML::ParserException& e) {
        return fail(ExitCode::usage,
                    fmt::format("{}:{}:{}: invalid YAML: {}", file_, e.mark.line + 1,
                                e.mark.column + 1, e.msg),
                    "fix the syntax at that position");
    } catch (const YAML::Exception& e) {
        return fail(ExitCode::usage, fmt::format("{}: invalid YAML: {}", file_, e.msg),
                    "fix the file's syntax");
    }
}

Location YamlReader::where(const YAML::Node& node) const {
    auto mark = node.Mark();
    if (mark.is_null())
        return Location{file_, 0, 0};
    return Location{file_, mark.line + 1, mark.column + 1};
}

std::unexpected<Error> YamlReader::error_at(const YAML::Node& node, const std::string& message,
                                            std::string hint) const {
    return fail(ExitCode::usage, fmt::format("{}: {}", where(node).str(), message),
                std::move(hint));
}

Status YamlReader::expect_map(const YAML::Node& node, const std::string& what) const {
    if (!node.IsMap())
        return error_at(node, fmt::format("{} must be a map of keys, not {}", what, kind_of(node)));
    return {};
}

Status YamlReader::check_keys(const YAML::Node& map, const std::vector<std::string>& allowed,
                              const std::string& context) const {
    // At the top of a file the position says where: no context repeats the file's name.
    const std::string prefix = context.empty() ? "" : context + ": ";
    std::set<std::string> seen;
    for (const auto& entry : map) {
        const YAML::Node& key = entry.first;
        if (!key.IsScalar())
            return error_at(key, fmt::format("{}keys must be plain words", prefix));
        const std::string& name = key.Scalar();
        if (!seen.insert(name).second)
            return error_at(key, fmt::format("{}duplicate key '{}'", prefix, name),
                            "remove one of the two entries");
        if (std::find(allowed.begin(), allowed.end(), name) != allowed.end())
            continue;
        std::string hint;
        if (auto suggestion = util::closest_match(name, allowed))
            hint = fmt::format("did you mean '{}'?", *suggestion);
        else
            hint = fmt::format("the keys allowed here are: {}", util::join(allowed, ", "));
        return error_at(key, fmt::format("{}unknown key '{}'", prefix, name), hint);
    }
    return {};
}

Result<std::string> YamlReader::string(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar())
        return error_at(node, fmt::format("'{}' must be a string, not {}", key, kind_of(node)));
    return node.Scalar();
}

Result<bool> YamlReader::boolean(const YAML::Node& node, const std::string& key) const {
    bool value = false;
    if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value))
        return error_at(node, fmt::format("'{}' must be true or false", key));
    return value;
}

Result<std::vector<std::string>> YamlReader::string_list(const YAML::Node& node,
                                                         const std::string& key) const {
    if (!node.IsSequence())
        return error_at(node, fmt::format("'{}' must be a list, not {}", key, kind_of(node)),
                        fmt::format("write it as {}: [a, b]", key));
    std::vector<std::string> out;
    for (const auto& item : node) {
        if (!item.IsScalar())
            return error_at(item,
                            fmt::format("'{}' must hold plain values, not {}", key, kind_of(item)));
        out.push_back(item.Scalar());
    }
    return out;
}

Result<std::vector<std::string>> YamlReader::argv(const YAML::Node& node,
                                                  const std::string& key) const {
    if (node.IsScalar())
        return error_at(node, fmt::format("'{}' must be a list of arguments, not a string", key),
                        fmt::format("rcd runs commands without a shell: write {}: [{}]", key,
                                    util::join(util::split(node.Scalar(), ' '), ", ")));
    auto list = string_list(node, key);
    if (list && key == "run" && list->empty())
        return error_at(node, "'run' must name a command", "for example run: [cargo, test]");
    return list;
}

Result<std::map<std::string, std::string>> YamlReader::string_map(const YAML::Node& node,
                                                                  const std::string& key) const {
    if (!node.IsMap())
        return error_at(node, fmt::format("'{}' must be a map, not {}", key, kind_of(node)),
                        fmt::format("write it as {}: {{KEY: value}}", key));
    std::map<std::string, std::string> out;
    for (const auto& entry : node) {
        if (!entry.first.IsScalar() || !entry.second.IsScalar())
            return error_at(entry.first, fmt::format("'{}' must map names to plain values", key));
        if (!out.emplace(entry.first.Scalar(), entry.second.Scalar()).second)
            return error_at(entry.first,
                            fmt::format("'{}': duplicate key '{}'", key, entry.first.Scalar()));
    }
    return out;
}

Result<std::chrono::milliseconds> YamlReader::duration(const YAML::Node& node,
                                                       const std::string& key) const {
    auto text = string(node, key);
    if (!text)
        return std::unexpected(text.error());
    auto parsed = util::parse_duration(*text);
    if (!parsed || parsed->count() <= 0)
        return error_at(node, fmt::format("'{}' is not a duration: '{}'", key, *text),
                        "use a number with a unit, like 90s, 10m or 1h");
    return *parsed;
}

Result<Phase> YamlReader::phase(const YAML::Node& node) const {
    auto text = string(node, "phase");
    if (!text)
        return std::unexpected(text.error());
    if (*text == "check")
        return Phase::check;
    if (*text == "build")
        return Phase::build;
    return error_at(node, fmt::format("unknown phase '{}'", *text),
                    "a phase is 'check' (the default) or 'build'");
}

} // namespace rcd::pipeline::detail
