// A file one thread is still writing (a download) while another reads it (an unpack). The
// reader learns how far it may read, and whether the whole file turned out good.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace rcd::util {

class GrowingFile {
  public:
    GrowingFile() = default;
    ~GrowingFile(); // closes the descriptor given to open()
    GrowingFile(const GrowingFile&) = delete;
    GrowingFile& operator=(const GrowingFile&) = delete;

    // The writer's side.
    void open(int fd);            // a descriptor the reader may pread; this object closes it
    void grew(std::int64_t size); // bytes in the file so far
    void restarted();             // the writer starts over: what was read is void
    void finish(bool good);       // written and checked (good), or failed; once: later calls
                                  // change nothing

    // The reader's side.
    struct State {
        int fd = -1;
        std::int64_t size = 0;
        bool finished = false;
        bool good = false;   // finished, whole and checked
        bool broken = false; // restarted or failed: what was read cannot be trusted
    };
    State wait_beyond(std::int64_t offset) const; // until more than `offset` bytes, or the end
    State wait_finished() const;

  private:
    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    State state_;
};

} // namespace rcd::util
