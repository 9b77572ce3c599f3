// ${name}, ${binary}, ${commit}, ${target_dir} inside run, args and env.
#pragma once

#include "rcd/pipeline/model.hpp"
#include "rcd/util/result.hpp"

#include <functional>
#include <optional>
#include <string>

namespace rcd::pipeline {

// Resolves a variable's value; nullopt when it is not a variable, an Error when it is one
// but has no value here (for instance ${commit} outside a git repository).
using VariableLookup = std::function<Result<std::optional<std::string>>(const std::string&)>;

// `$${` stands for a literal `${`.
Result<std::string> expand(const std::string& text, const VariableLookup& lookup);

// Expands run, args and env of one stage.
Result<Stage> expand_stage(const Stage& stage, const VariableLookup& lookup);

} // namespace rcd::pipeline
