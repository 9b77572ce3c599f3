// `rcd completions bash|zsh|fish`: completion scripts generated from the CLI11 command table,
// so they name exactly the commands and options rcd parses.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

namespace rcd::cli {

// The script for `shell`, or nothing for a shell rcd does not know.
std::optional<std::string> completion_script(const std::string& shell, CLI::App& app);

} // namespace rcd::cli
