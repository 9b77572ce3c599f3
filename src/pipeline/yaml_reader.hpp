// Typed access to yaml-cpp nodes that reports mistakes as file:line:column errors.
#pragma once

#include "rcd/pipeline/model.hpp"
#include "rcd/util/result.hpp"

#include <chrono>
#include <map>
#include <string>
#include <vector>
#include <yaml-cpp/yaml.h>

namespace rcd::pipeline::detail {

class YamlReader {
  public:
    explicit YamlReader(std::string file) : file_(std::move(file)) {}

    Result<YAML::Node> parse(std::string_view text) const;

    Location where(const YAML::Node& node) const;
    std::unexpected<Error> error_at(const YAML::Node& node, const std::string& message,
                                    std::string hint = {}) const;

    // Every key must be one of `allowed`; an unknown one gets "did you mean".
    Status check_keys(const YAML::Node& map, const std::vector<std::string>& allowed,
                      const std::string& context) const;
    Status expect_map(const YAML::Node& node, const std::string& what) const;

    Result<std::string> string(const YAML::Node& node, const std::string& key) const;
    Result<bool> boolean(const YAML::Node& node, const std::string& key) const;
    Result<std::vector<std::string>> string_list(const YAML::Node& node,
                                                 const std::string& key) const;
    // `run`: a list of arguments; a string gets a hint, because rcd uses no shell.
    Result<std::vector<std::string>> argv(const YAML::Node& node, const std::string& key) const;
    Result<std::map<std::string, std::string>> string_map(const YAML::Node& node,
                                                          const std::string& key) const;
    Result<std::chrono::milliseconds> duration(const YAML::Node& node,
                                               const std::string& key) const;
    Result<Phase> phase(const YAML::Node& node) const;

    const std::string& file() const { return file_; }

  private:
    std::string file_;
};

} // namespace rcd::pipeline::detail
