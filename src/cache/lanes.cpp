#include "rcd/cache/lanes.hpp"

#include "rcd/util/turns.hpp"

#include <algorithm>
#include <future>
#include <map>

namespace rcd::cache {

std::vector<std::size_t> largest_first_within_lanes(const std::vector<std::string>& lane_of,
                                                    const std::vector<std::int64_t>& sizes) {
    std::map<std::string, std::vector<std::size_t>> members; // each lane's items, in order
    for (std::size_t i = 0; i < lane_of.size(); ++i)
        members[lane_of[i]].push_back(i);
    for (auto& [lane, items] : members)
        std::stable_sort(items.begin(), items.end(),
                         [&](std::size_t a, std::size_t b) { return sizes[a] > sizes[b]; });
    std::map<std::string, std::size_t> taken;
    std::vector<std::size_t> order;
    for (const auto& lane : lane_of)
        order.push_back(members[lane][taken[lane]++]);
    return order;
}

std::vector<Status> run_lanes(const std::vector<std::string>& lane_of,
                              const std::function<bool(std::size_t)>& in_turn,
                              const std::function<Status(std::size_t, bool)>& after) {
    std::vector<std::string> names;
    std::vector<std::vector<std::size_t>> lanes;
    for (std::size_t i = 0; i < lane_of.size(); ++i) {
        std::size_t lane = 0;
        while (lane < names.size() && names[lane] != lane_of[i])
            ++lane;
        if (lane == names.size()) {
            names.push_back(lane_of[i]);
            lanes.emplace_back();
        }
        lanes[lane].push_back(i);
    }
    util::Turns turns;
    std::vector<std::future<Status>> running;
    for (const auto& lane : lanes)
        running.push_back(
            std::async(std::launch::async, [&turns, &lane, &in_turn, &after]() -> Status {
                struct PassAll { // a lane that stops early holds up no other
                    util::Turns& turns;
                    const std::vector<std::size_t>& lane;
                    ~PassAll() {
                        for (std::size_t item : lane)
                            turns.pass(item);
                    }
                } pass_all{turns, lane};
                for (std::size_t item : lane) {
                    turns.wait(item);
                    const bool done = in_turn(item);
                    turns.pass(item);
                    RCD_CHECK(after(item, done));
                }
                return Status{};
            }));
    std::vector<Status> results;
    for (auto& lane : running)
        results.push_back(lane.get());
    return results;
}

} // namespace rcd::cache
