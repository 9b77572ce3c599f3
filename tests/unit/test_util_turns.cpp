#include "rcd/util/turns.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

using namespace rcd;

TEST_CASE("threads started in any order do their work in the order of their turns") {
    util::Turns turns;
    std::mutex mutex;
    std::vector<std::size_t> order;
    std::vector<std::thread> threads;
    for (std::size_t turn : {4, 2, 0, 3, 1})
        threads.emplace_back([&, turn] {
            turns.wait(turn);
            {
                std::lock_guard lock(mutex);
                order.push_back(turn);
            }
            turns.pass(turn);
        });
    for (auto& t : threads)
        t.join();
    CHECK(order == std::vector<std::size_t>{0, 1, 2, 3, 4});
}

TEST_CASE("a turn passed early, or twice, lets the later ones go once the earlier pass") {
    util::Turns turns;
    turns.pass(1); // a lane that gave up holds up no one, even before its turn came
    turns.pass(1);
    std::atomic<bool> third_ran = false;
    std::thread third([&] {
        turns.wait(2);
        third_ran = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    CHECK_FALSE(third_ran); // turn 0 has not passed
    turns.wait(0);          // the first turn never waits
    turns.pass(0);
    third.join();
    CHECK(third_ran);
    turns.pass(0); // again: nothing changes
    turns.wait(2);
}
