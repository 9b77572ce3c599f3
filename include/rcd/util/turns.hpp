// Turns 0, 1, 2, ... taken in order by threads that run at the same time: a thread waits for
// every earlier turn to pass before its own work, then passes its turn.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <set>

namespace rcd::util {

class Turns {
  public:
    void wait(std::size_t turn) const; // until every turn before `turn` has passed
    void pass(std::size_t turn);       // passing a turn again changes nothing

  private:
    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    std::set<std::size_t> passed_; // beyond next_
    std::size_t next_ = 0;         // the first turn not passed
};

} // namespace rcd::util
