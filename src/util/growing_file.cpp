#include "rcd/util/growing_file.hpp"

#include <unistd.h>

namespace rcd::util {

GrowingFile::~GrowingFile() {
    if (state_.fd >= 0)
        ::close(state_.fd);
}

void GrowingFile::open(int fd) {
    std::lock_guard lock(mutex_);
    state_.fd = fd;
    changed_.notify_all();
}

void GrowingFile::grew(std::int64_t size) {
    std::lock_guard lock(mutex_);
    state_.size = size;
    changed_.notify_all();
}

void GrowingFile::restarted() {
    std::lock_guard lock(mutex_);
    state_.broken = true;
    changed_.notify_all();
}

void GrowingFile::finish(bool good) {
    std::lock_guard lock(mutex_);
    if (state_.finished)
        return; // the first verdict stands
    state_.finished = true;
    state_.good = good && !state_.broken;
    state_.broken = !state_.good;
    changed_.notify_all();
}

GrowingFile::State GrowingFile::wait_beyond(std::int64_t offset) const {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] {
        return (state_.fd >= 0 && state_.size > offset) || state_.finished || state_.broken;
    });
    return state_;
}

GrowingFile::State GrowingFile::wait_finished() const {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return state_.finished; });
    return state_;
}

} // namespace rcd::util
