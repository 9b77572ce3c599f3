// The restore lanes. Profiles that build into the same profile directory share files (host
// build scripts and proc macros), so one lane restores them one after the other and a file
// already there is not written twice; lanes run at once, so a cook in one lane does not hold
// up another lane's restore. Across lanes, restores take turns, one archive at a time, so the
// archive in turn lands soonest (an unpack writes on every core) and its stage runs while the
// next ones restore. The turns follow the stages that need the archives, except that within a
// lane the largest archive goes first (largest_first_within_lanes): it holds most of the
// shared files, so the next one of its lane writes little, and it feeds the longer stage
// (test, beside clippy).
//
//   lane "debug":   [turn 0: restore test] [cook test ...........]
//   lane "debug":                          [turn 1: restore clippy, the shared files skipped]
//   lane "release":                                                 [turn 2: restore release]
#pragma once

#include "rcd/util/result.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace rcd::cache {

// Runs the items 0..n-1 (n = lane_of.size(), in turn order; lane_of[i] names item i's lane),
// each lane on its own thread: for each of its items in order, `in_turn(i)` while item i holds
// the turn, then `after(i, what in_turn returned)` outside it. A lane stops at its first error,
// and passes the turns of its items it did not reach, so no other lane waits for them. Returns
// each lane's result, in the order lanes first appear in `lane_of`.
// A turn order for items in `lane_of` with archives of `sizes` bytes: every lane keeps the
// places its items have, and fills them with its own items largest first (ties keep their
// order). Returns the item indices in turn order.
std::vector<std::size_t> largest_first_within_lanes(const std::vector<std::string>& lane_of,
                                                    const std::vector<std::int64_t>& sizes);

std::vector<Status> run_lanes(const std::vector<std::string>& lane_of,
                              const std::function<bool(std::size_t)>& in_turn,
                              const std::function<Status(std::size_t, bool)>& after);

} // namespace rcd::cache
