// The pure parts of the Rust language's hooks (lang/rust.cpp), unit-tested apart.
#pragma once

#include <string>
#include <vector>

namespace rcd::lang {

// Adds --message-format=json to a cargo command that compiles (build, check, clippy, test,
// rustc), before any `--`, unless it has a message format already.
std::vector<std::string> with_json_messages(std::vector<std::string> argv);

} // namespace rcd::lang
