#include "rcd/util/turns.hpp"

namespace rcd::util {

void Turns::wait(std::size_t turn) const {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return next_ >= turn; });
}

void Turns::pass(std::size_t turn) {
    std::lock_guard lock(mutex_);
    if (turn < next_)
        return;
    passed_.insert(turn);
    while (passed_.erase(next_) > 0)
        ++next_;
    changed_.notify_all();
}

} // namespace rcd::util
