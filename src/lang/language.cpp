#include "rcd/lang/language.hpp"

#include "languages.hpp"
#include "rcd/util/strings.hpp"

namespace rcd::lang {

std::optional<std::string> Language::variable(const std::string&) const {
    return std::nullopt;
}

void Language::prepare_job(exec::StageJob&, bool) const {}

std::string Language::test_format(const pipeline::Stage&) const {
    return {};
}

Result<std::shared_ptr<const Language>> open_language(const std::string& name,
                                                      const std::filesystem::path& dir,
                                                      const pipeline::RepoConfig& config,
                                                      const pipeline::Pipeline& pipeline) {
    if (name == "rust")
        return detail::open_rust(dir, config);
    if (name == "go")
        return detail::open_go(dir, config);
    return detail::open_generic(name, dir, config, pipeline);
}

std::vector<std::string> known_languages() {
    return {"rust", "go", "generic"};
}

Result<std::optional<std::string>> suggest_name(const std::string& language,
                                                const std::filesystem::path& dir) {
    using Name = std::optional<std::string>;
    if (language == "rust") {
        RCD_ASSIGN(auto name, detail::rust_name(dir));
        return Name(name);
    }
    if (language == "go") {
        RCD_ASSIGN(auto name, detail::go_name(dir));
        return Name(name);
    }
    return Name{};
}

std::vector<ToolCheck> toolchain_checks(const std::string& language) {
    if (language == "rust")
        return {{"cargo", {"cargo", "-V"}, "install Rust: https://rustup.rs"},
                {"rustfmt", {"cargo", "fmt", "--version"}, "rustup component add rustfmt"},
                {"clippy", {"cargo", "clippy", "--version"}, "rustup component add clippy"}};
    if (language == "go")
        return {{"go", {"go", "version"}, "install Go: apt install golang-go (Go 1.19 or later)"},
                {"gofmt", {"sh", "-c", "command -v gofmt"}, "gofmt comes with Go: put it on PATH"}};
    return {}; // generic: the stages are rcd.yaml's own commands
}

namespace detail {

std::filesystem::path default_target_dir(const std::filesystem::path& dir) {
    std::error_code ec;
    if (auto env = util::env("CARGO_TARGET_DIR"))
        return std::filesystem::absolute(*env, ec);
    return std::filesystem::absolute(dir, ec).lexically_normal() / "target";
}

std::optional<std::string> flag_value(const std::vector<std::string>& argv,
                                      const std::string& flag) {
    for (std::size_t i = 0; i < argv.size(); ++i) {
        if (argv[i] == flag && i + 1 < argv.size())
            return argv[i + 1];
        if (argv[i].starts_with(flag + "="))
            return argv[i].substr(flag.size() + 1);
    }
    return std::nullopt;
}

} // namespace detail

} // namespace rcd::lang
