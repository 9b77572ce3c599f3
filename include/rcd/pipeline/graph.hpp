// The `needs` graph of a pipeline.
#pragma once

#include "rcd/pipeline/model.hpp"
#include "rcd/util/result.hpp"

#include <vector>

namespace rcd::pipeline {

// Duplicate names, unknown `needs` and cycles, each with its own message.
Status validate_graph(const Pipeline& pipeline);

// Stage indices such that every stage comes after the stages it needs; ties keep file order.
std::vector<std::size_t> topological_order(const Pipeline& pipeline);

} // namespace rcd::pipeline
