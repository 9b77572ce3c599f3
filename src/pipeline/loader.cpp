#include "rcd/pipeline/loader.hpp"

#include "rcd/pipeline/graph.hpp"
#include "rcd/util/fs.hpp"
#include "rcd/util/strings.hpp"
#include "yaml_reader.hpp"

#include <fmt/format.h>

namespace rcd::pipeline {

using detail::YamlReader;

std::string Location::str() const {
    if (line == 0)
        return file;
    return fmt::format("{}:{}:{}", file, line, column);
}

std::vector<std::string> Stage::argv() const {
    std::vector<std::string> out = run;
    out.insert(out.end(), args.begin(), args.end());
    return out;
}

std::optional<std::string> Stage::cache_profile() const {
    if (cook)
        return cook;
    if (cache)
        return name;
    return std::nullopt;
}

const Stage* Pipeline::find(const std::string& name) const {
    for (const auto& stage : stages)
        if (stage.name == name)
            return &stage;
    return nullptr;
}

namespace {

const std::vector<std::string> kStageKeys = {"name",     "run",   "args",  "env",
                                             "timeout",  "needs", "when",  "cook",
                                             "produces", "skip",  "phase", "cache"};
const std::vector<std::string> kConditions = {"has_library", "has_benches"};
const std::vector<std::string> kCookProfiles = {"debug", "release", "clippy", "test", "go"};
const std::vector<std::string> kProducts = {"binary"};

Status check_one_of(const YamlReader& reader, const YAML::Node& node, const std::string& key,
                    const std::string& value, const std::vector<std::string>& allowed) {
    if (std::find(allowed.begin(), allowed.end(), value) != allowed.end())
        return {};
    std::string hint = fmt::format("'{}' may be: {}", key, util::join(allowed, ", "));
    if (auto suggestion = util::closest_match(value, allowed))
        hint = fmt::format("did you mean '{}'?", *suggestion);
    return reader.error_at(node, fmt::format("unknown {} '{}'", key, value), hint);
}

// A path inside the repository: relative, without '..'.
Status check_inside(const YamlReader& reader, const YAML::Node& node, const std::string& what,
                    const std::string& path) {
    const std::filesystem::path p(path);
    const bool climbs =
        std::any_of(p.begin(), p.end(), [](const auto& part) { return part == ".."; });
    if (path.empty() || p.is_absolute() || climbs)
        return reader.error_at(
            node, fmt::format("{} must be a path inside the repository, not '{}'", what, path),
            "give it relative to the repository's root, without '..'");
    return {};
}

Result<StageCache> parse_stage_cache(const YamlReader& reader, const YAML::Node& node) {
    RCD_CHECK(reader.expect_map(node, "'cache'"));
    RCD_CHECK(reader.check_keys(node, {"paths", "key"}, "cache"));
    StageCache cache;
    if (!node["paths"])
        return reader.error_at(node, "'cache' needs 'paths': the directories the stage fills",
                               "write it as cache: {paths: [build/_deps], key: [CMakeLists.txt]}");
    RCD_ASSIGN(cache.paths, reader.string_list(node["paths"], "paths"));
    if (node["key"]) {
        RCD_ASSIGN(cache.key, reader.string_list(node["key"], "key"));
    }
    if (cache.paths.empty())
        return reader.error_at(node["paths"], "'cache.paths' is empty",
                               "name the directories the stage fills, or remove 'cache'");
    std::size_t i = 0;
    for (const auto& path : cache.paths)
        RCD_CHECK(check_inside(reader, node["paths"][i++], "each of 'cache.paths'", path));
    i = 0;
    for (const auto& file : cache.key)
        RCD_CHECK(check_inside(reader, node["key"][i++], "each of 'cache.key'", file));
    return cache;
}

// The fields of one stage, as written; which keys are allowed depends on the file.
Result<StageOverride> parse_stage_fields(const YamlReader& reader, const YAML::Node& node,
                                         const std::vector<std::string>& allowed,
                                         const std::string& context) {
    RCD_CHECK(reader.expect_map(node, context));
    RCD_CHECK(reader.check_keys(node, allowed, context));
    StageOverride out;
    out.location = reader.where(node);
    for (const auto& entry : node) {
        const std::string key = entry.first.Scalar();
        const YAML::Node& value = entry.second;
        if (key == "name") {
            RCD_ASSIGN(out.name, reader.string(value, key));
        } else if (key == "run") {
            RCD_ASSIGN(out.run, reader.argv(value, key));
        } else if (key == "args") {
            RCD_ASSIGN(out.args, reader.argv(value, key));
        } else if (key == "env") {
            RCD_ASSIGN(out.env, reader.string_map(value, key));
        } else if (key == "timeout") {
            RCD_ASSIGN(out.timeout, reader.duration(value, key));
        } else if (key == "needs") {
            RCD_ASSIGN(out.needs, reader.string_list(value, key));
        } else if (key == "when") {
            RCD_ASSIGN(out.when, reader.string(value, key));
            RCD_CHECK(check_one_of(reader, value, key, *out.when, kConditions));
        } else if (key == "cook") {
            RCD_ASSIGN(out.cook, reader.string(value, key));
            RCD_CHECK(check_one_of(reader, value, key, *out.cook, kCookProfiles));
        } else if (key == "produces") {
            RCD_ASSIGN(out.produces, reader.string(value, key));
            RCD_CHECK(check_one_of(reader, value, key, *out.produces, kProducts));
        } else if (key == "cache") {
            RCD_ASSIGN(out.cache, parse_stage_cache(reader, value));
        } else if (key == "skip") {
            RCD_ASSIGN(out.skip, reader.boolean(value, key));
        } else if (key == "phase") {
            RCD_ASSIGN(out.phase, reader.phase(value));
        }
    }
    return out;
}

void apply(Stage& stage, const StageOverride& o) {
    if (o.run)
        stage.run = *o.run;
    if (o.args)
        stage.args = *o.args;
    if (o.env)
        for (const auto& [k, v] : *o.env)
            stage.env[k] = v;
    if (o.timeout)
        stage.timeout = o.timeout;
    if (o.needs)
        stage.needs = *o.needs;
    if (o.when)
        stage.when = o.when;
    if (o.cook)
        stage.cook = o.cook;
    if (o.produces)
        stage.produces = o.produces;
    if (o.cache)
        stage.cache = o.cache;
    if (o.skip)
        stage.skip = *o.skip;
    if (o.phase)
        stage.phase = *o.phase;
}

Result<ImageConfig> parse_image(const YamlReader& reader, const YAML::Node& node) {
    RCD_CHECK(reader.expect_map(node, "'image'"));
    RCD_CHECK(reader.check_keys(node,
                                {"base", "binary", "entrypoint", "cmd", "env", "workdir", "user",
                                 "expose", "labels", "files", "smoke", "sbom", "provenance"},
                                "image"));
    ImageConfig image;
    for (const auto& entry : node) {
        const std::string key = entry.first.Scalar();
        const YAML::Node& value = entry.second;
        if (key == "base") {
            RCD_ASSIGN(image.base, reader.string(value, key));
        } else if (key == "binary") {
            RCD_ASSIGN(image.binary, reader.string(value, key));
            RCD_CHECK(check_inside(reader, value, "'image.binary'", *image.binary));
        } else if (key == "entrypoint") {
            RCD_ASSIGN(image.entrypoint, reader.argv(value, key));
        } else if (key == "cmd") {
            RCD_ASSIGN(image.cmd, reader.argv(value, key));
        } else if (key == "sbom") {
            RCD_ASSIGN(image.sbom, reader.boolean(value, key));
        } else if (key == "provenance") {
            RCD_ASSIGN(image.provenance, reader.boolean(value, key));
        } else if (key == "smoke") {
            RCD_ASSIGN(image.smoke, reader.argv(value, key));
        } else if (key == "env") {
            RCD_ASSIGN(image.env, reader.string_map(value, key));
        } else if (key == "workdir") {
            RCD_ASSIGN(image.workdir, reader.string(value, key));
        } else if (key == "user") {
            RCD_ASSIGN(image.user, reader.string(value, key));
        } else if (key == "labels") {
            RCD_ASSIGN(image.labels, reader.string_map(value, key));
        } else if (key == "expose") {
            RCD_ASSIGN(auto ports, reader.string_list(value, key));
            std::size_t i = 0;
            for (auto port : ports) {
                auto slash = port.find('/');
                std::string number = port.substr(0, slash);
                std::string proto = slash == std::string::npos ? "tcp" : port.substr(slash + 1);
                bool numeric = !number.empty() && number.size() <= 5 &&
                               number.find_first_not_of("0123456789") == std::string::npos;
                if (!numeric || std::stoi(number) == 0 || std::stoi(number) > 65535 ||
                    (proto != "tcp" && proto != "udp"))
                    return reader.error_at(value[i], fmt::format("'expose': bad port '{}'", port),
                                           "write a port number, like 8080 or 8080/udp");
                image.expose.push_back(number + "/" + proto);
                ++i;
            }
        } else if (key == "files") {
            if (!value.IsSequence())
                return reader.error_at(value, "'files' must be a list",
                                       "write it as files: [{src: config/, dst: /etc/app/}]");
            for (const auto& item : value) {
                RCD_CHECK(reader.expect_map(item, "each entry of 'files'"));
                RCD_CHECK(reader.check_keys(item, {"src", "dst"}, "image.files"));
                if (!item["src"] || !item["dst"])
                    return reader.error_at(item, "each entry of 'files' needs 'src' and 'dst'");
                FileCopy copy;
                RCD_ASSIGN(copy.src, reader.string(item["src"], "src"));
                RCD_ASSIGN(copy.dst, reader.string(item["dst"], "dst"));
                RCD_CHECK(check_inside(reader, item["src"], "'src'", copy.src));
                if (copy.dst.empty() || copy.dst.front() != '/')
                    return reader.error_at(item["dst"],
                                           fmt::format("'dst' must be an absolute path in the "
                                                       "image, not '{}'",
                                                       copy.dst));
                image.files.push_back(std::move(copy));
            }
        }
    }
    return image;
}

// "5%", "12.5 %" or a number of percent: a fraction (0.05).
Result<double> parse_percent(const YamlReader& reader, const YAML::Node& node,
                             const std::string& key) {
    RCD_ASSIGN(auto text, reader.string(node, key));
    std::string number = text;
    while (!number.empty() && (number.back() == '%' || number.back() == ' '))
        number.pop_back();
    double value = -1;
    std::size_t used = 0;
    try {
        value = std::stod(number, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (number.empty() || used != number.size() || !(value >= 0) || value >= 1000)
        return reader.error_at(node, fmt::format("'{}': '{}' is not a percentage", key, text),
                               "write it like 5%");
    return value / 100;
}

Result<BenchConfig> parse_bench(const YamlReader& reader, const YAML::Node& node) {
    BenchConfig bench;
    bench.location = reader.where(node);
    if (node.IsScalar()) {
        RCD_ASSIGN(bench.enabled, reader.boolean(node, "bench"));
        return bench;
    }
    RCD_CHECK(reader.expect_map(node, "'bench'"));
    RCD_CHECK(
        reader.check_keys(node, {"enabled", "fail_on", "min_effect", "rounds", "allow"}, "bench"));
    bench.enabled = true;
    for (const auto& entry : node) {
        const std::string key = entry.first.Scalar();
        const YAML::Node& value = entry.second;
        if (key == "enabled") {
            RCD_ASSIGN(bench.enabled, reader.boolean(value, key));
        } else if (key == "fail_on") {
            RCD_ASSIGN(bench.fail_on, reader.string(value, key));
            RCD_CHECK(check_one_of(reader, value, key, bench.fail_on, {"slower", "never"}));
        } else if (key == "min_effect") {
            RCD_ASSIGN(bench.min_effect, parse_percent(reader, value, key));
        } else if (key == "rounds") {
            RCD_ASSIGN(auto text, reader.string(value, key));
            if (text.empty() || text.size() > 2 ||
                text.find_first_not_of("0123456789") != std::string::npos || std::stoi(text) < 3 ||
                std::stoi(text) > 20)
                return reader.error_at(value, fmt::format("'rounds': '{}' is not 3 to 20", text),
                                       "each side runs this many times; at least 3");
            bench.rounds = std::stoi(text);
        } else if (key == "allow") {
            RCD_CHECK(reader.expect_map(value, "'allow'"));
            for (const auto& allowed : value) {
                RCD_ASSIGN(bench.allow[allowed.first.Scalar()],
                           parse_percent(reader, allowed.second, allowed.first.Scalar()));
            }
        }
    }
    return bench;
}

Status require(const YamlReader& reader, const YAML::Node& root, const std::string& key,
               const std::string& example) {
    if (!root[key])
        return fail(ExitCode::usage,
                    fmt::format("{}: missing required field '{}'", reader.file(), key),
                    fmt::format("add a line like '{}: {}'", key, example));
    return {};
}

} // namespace

Result<RepoConfig> parse_repo_config(std::string_view text, const std::string& file) {
    YamlReader reader(file);
    RCD_ASSIGN(YAML::Node root, reader.parse(text));
    if (root.IsNull())
        return fail(ExitCode::usage, fmt::format("{}: the file is empty", file),
                    "give at least 'name: my-service' and 'language: rust'");
    RCD_CHECK(reader.expect_map(root, "the file"));
    RCD_CHECK(reader.check_keys(
        root, {"name", "language", "registry", "binary", "image", "cache", "bench", "stages"}, ""));
    RCD_CHECK(require(reader, root, "name", "my-service"));
    RCD_CHECK(require(reader, root, "language", "rust"));

    RepoConfig config;
    config.file = file;
    RCD_ASSIGN(config.name, reader.string(root["name"], "name"));
    RCD_ASSIGN(config.language, reader.string(root["language"], "language"));
    if (config.name.empty())
        return reader.error_at(root["name"], "'name' is empty", "give the service's name");
    for (const auto& key : {"registry", "binary"}) {
        if (!root[key])
            continue;
        RCD_ASSIGN(auto value, reader.string(root[key], key));
        (std::string(key) == "registry" ? config.registry : config.binary) = value;
    }
    if (root["image"]) {
        RCD_ASSIGN(config.image, parse_image(reader, root["image"]));
    }
    if (const YAML::Node cache = root["cache"]) {
        RCD_CHECK(reader.expect_map(cache, "'cache'"));
        RCD_CHECK(reader.check_keys(cache, {"repository"}, "cache"));
        if (cache["repository"]) {
            RCD_ASSIGN(config.cache.repository, reader.string(cache["repository"], "repository"));
        }
    }
    if (root["bench"]) {
        RCD_ASSIGN(config.bench, parse_bench(reader, root["bench"]));
    }
    if (const YAML::Node stages = root["stages"]) {
        if (stages.IsSequence())
            return reader.error_at(stages, "'stages' in rcd.yaml must be a map of stage names",
                                   "write it as stages: {clippy: {args: [...]}}; the stage list "
                                   "itself lives in the pipeline");
        RCD_CHECK(reader.expect_map(stages, "'stages'"));
        std::vector<std::string> body_keys(kStageKeys.begin() + 1, kStageKeys.end());
        for (const auto& entry : stages) {
            const std::string name = entry.first.Scalar();
            for (const auto& earlier : config.stages)
                if (earlier.name == name)
                    return reader.error_at(entry.first,
                                           fmt::format("stage '{}' is listed twice", name),
                                           "merge the two entries into one");
            RCD_ASSIGN(auto o, parse_stage_fields(reader, entry.second, body_keys,
                                                  fmt::format("stage '{}'", name)));
            o.name = name;
            o.location = reader.where(entry.first);
            config.stages.push_back(std::move(o));
        }
    }
    return config;
}

Result<RepoConfig> load_repo_config(const std::filesystem::path& file) {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec))
        return fail(ExitCode::usage, fmt::format("no rcd.yaml found at {}", file.string()),
                    "run 'rcd init' to write one, or point at it with -C DIR or -f FILE");
    RCD_ASSIGN(auto text, util::read_config_file(file));
    return parse_repo_config(text, file.string());
}

Result<Pipeline> parse_pipeline(std::string_view text, const std::string& file) {
    YamlReader reader(file);
    RCD_ASSIGN(YAML::Node root, reader.parse(text));
    RCD_CHECK(reader.expect_map(root, "a pipeline file"));
    RCD_CHECK(reader.check_keys(root, {"language", "detect", "stages"}, ""));
    RCD_CHECK(require(reader, root, "language", "rust"));
    RCD_CHECK(require(reader, root, "stages", "[{name: test, run: [cargo, test]}]"));

    Pipeline pipeline;
    pipeline.origin = file;
    RCD_ASSIGN(pipeline.language, reader.string(root["language"], "language"));
    if (root["detect"]) {
        RCD_ASSIGN(pipeline.detect, reader.string_list(root["detect"], "detect"));
    }
    const YAML::Node stages = root["stages"];
    if (!stages.IsSequence())
        return reader.error_at(stages, "'stages' must be a list of stages");
    for (const auto& node : stages) {
        RCD_ASSIGN(auto fields, parse_stage_fields(reader, node, kStageKeys, "stage"));
        if (!node["name"])
            return reader.error_at(node, "a stage is missing its 'name'",
                                   "add 'name: ...' to the stage");
        if (!fields.run)
            return reader.error_at(node,
                                   fmt::format("stage '{}' is missing its 'run'", fields.name),
                                   "add the command as a list, like run: [cargo, test]");
        Stage stage;
        stage.name = fields.name;
        stage.location = fields.location;
        apply(stage, fields);
        pipeline.stages.push_back(std::move(stage));
    }
    RCD_CHECK(validate_graph(pipeline));
    return pipeline;
}

Result<Pipeline> apply_overrides(Pipeline pipeline, const std::vector<StageOverride>& overrides) {
    for (const auto& o : overrides) {
        auto it = std::find_if(pipeline.stages.begin(), pipeline.stages.end(),
                               [&](const Stage& s) { return s.name == o.name; });
        if (it != pipeline.stages.end()) {
            apply(*it, o);
            continue;
        }
        if (!o.run) {
            std::vector<std::string> names;
            for (const auto& s : pipeline.stages)
                names.push_back(s.name);
            std::string hint =
                fmt::format("the {} pipeline has: {}; to add a stage, give it a 'run'",
                            pipeline.language, util::join(names, ", "));
            if (auto suggestion = util::closest_match(o.name, names))
                hint = fmt::format("did you mean '{}'?", *suggestion);
            return fail(ExitCode::usage,
                        fmt::format("{}: no stage named '{}' in the {} pipeline", o.location.str(),
                                    o.name, pipeline.language),
                        hint);
        }
        Stage added;
        added.name = o.name;
        added.location = o.location;
        apply(added, o);
        pipeline.stages.push_back(std::move(added));
    }
    RCD_CHECK(validate_graph(pipeline));
    return pipeline;
}

} // namespace rcd::pipeline
