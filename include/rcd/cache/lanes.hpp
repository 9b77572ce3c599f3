// The restore lanes. Profiles that build into the same profile directory share files (host
// build scripts and proc macros), so one lane restores them one after the other and a file
// already there is not written twice; lanes run at once, so a cook in one lane does not hold
// up another lane's restore. Across lanes, restores take turns, one archive at a time in the
// order of the stages that need them: an unpack writes on every core, so the first stage's
// archive lands soonest and that stage runs while the next ones restore.
//
//   lane "debug":   [turn 0: restore clippy] [cook clippy ...........]
//   lane "release":                          [turn 1: restore release] [...]
//   lane "test":                                                       [turn 2: restore test]
#pragma once

#include "rcd/util/result.hpp"

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace rcd::cache {

// Runs the items 0..n-1 (n = lane_of.size(), in turn order; lane_of[i] names item i's lane),
// each lane on its own thread: for each of its items in order, `in_turn(i)` while item i holds
// the turn, then `after(i, what in_turn returned)` outside it. A lane stops at its first error,
// and passes the turns of its items it did not reach, so no other lane waits for them. Returns
// each lane's result, in the order lanes first appear in `lane_of`.
std::vector<Status> run_lanes(const std::vector<std::string>& lane_of,
                              const std::function<bool(std::size_t)>& in_turn,
                              const std::function<Status(std::size_t, bool)>& after);

} // namespace rcd::cache
