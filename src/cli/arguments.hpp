// The command line as rcd reads it: the options each command may take, the values checked
// in rcd's own words, and the parser's complaints turned into rcd's errors.
#pragma once

#include "rcd/ops/options.hpp"
#include "rcd/util/result.hpp"

#include <CLI/CLI.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rcd::cli {

// Everything the command line can set.
struct Parsed {
    ops::Invocation global;
    ops::StageOptions stages;
    ops::ReleaseOptions release;
    ops::CacheOptions cache;
    ops::ResolveOptions resolve;
    ops::FleetOptions fleet;
    ops::BenchOptions bench;
    std::string word;                          // cache ACTION, completions SHELL, pipelines show
    std::string name;                          // pipelines show NAME
    std::string jobs;                          // -j, checked into stages.jobs
    std::string keep;                          // --keep, checked into cache.keep
    std::string last;                          // bench history --last, checked into bench.last
    std::string compression = "gzip";          // --compression, checked into release.publish
    std::string format = "spdx";               // sbom --format
    Parsed() { release.publish.push = false; } // rcd image --push; release pushes anyway
};

// Defines one option of a command (by its name, as the command table lists it).
void add_option(CLI::App* sub, const std::string& which, Parsed& p);

// Help as rcd means it: value names without parser notes, and a command's help followed by
// the global options it also takes.
class HelpFormatter : public CLI::Formatter {
  public:
    std::string make_option_opts(const CLI::Option* opt) const override;
    std::string make_help(const CLI::App* app, std::string name,
                          CLI::AppFormatMode mode) const override;
};

// Walks the command line as the parser does: the command word (the first bare word that is
// not an option's value), and the first option neither rcd nor the command knows.
struct Words {
    std::optional<std::string> command;
    std::optional<std::string> unknown_option;
    bool before_command = false; // the unknown option is a command's, given before the command
};
Words scan(int argc, char** argv, const CLI::App& app,
           const std::map<std::string, CLI::App*>& subs);

// An option neither rcd nor the command knows, with "did you mean".
Error unknown_option(const std::string& flag, const CLI::App& app, const CLI::App* sub,
                     const std::string& command);

// The parser's other complaints, in rcd's words where it has them.
Error parse_error(const CLI::ParseError& e, const std::string& command);

// Values the parser takes as text, checked here so that mistakes read like rcd's others.
std::optional<Error> check_values(Parsed& p, const std::string& command);

} // namespace rcd::cli
