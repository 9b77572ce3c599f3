#include "rcd/pipeline/graph.hpp"

#include "rcd/util/strings.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <functional>
#include <map>
#include <optional>

namespace rcd::pipeline {

Status validate_graph(const Pipeline& pipeline) {
    std::map<std::string, std::size_t> index;
    std::vector<std::string> names;
    for (std::size_t i = 0; i < pipeline.stages.size(); ++i) {
        const Stage& stage = pipeline.stages[i];
        auto [it, inserted] = index.emplace(stage.name, i);
        if (!inserted)
            return fail(ExitCode::usage,
                        fmt::format("{}: duplicate stage name '{}' (first defined at {})",
                                    stage.location.str(), stage.name,
                                    pipeline.stages[it->second].location.str()),
                        "give each stage its own name");
        names.push_back(stage.name);
    }
    for (const auto& stage : pipeline.stages) {
        for (const auto& need : stage.needs) {
            if (index.count(need))
                continue;
            std::string hint = fmt::format("the stages are: {}", util::join(names, ", "));
            if (auto suggestion = util::closest_match(need, names))
                hint = fmt::format("did you mean '{}'?", *suggestion);
            return fail(ExitCode::usage,
                        fmt::format("{}: stage '{}' needs '{}', which is not a stage",
                                    stage.location.str(), stage.name, need),
                        hint);
        }
    }
    // Depth-first search; a grey node reached again closes a cycle, which we print in full.
    enum class Mark { white, grey, black };
    std::vector<Mark> marks(pipeline.stages.size(), Mark::white);
    std::vector<std::size_t> path;
    std::function<std::optional<std::vector<std::string>>(std::size_t)> visit =
        [&](std::size_t i) -> std::optional<std::vector<std::string>> {
        marks[i] = Mark::grey;
        path.push_back(i);
        for (const auto& need : pipeline.stages[i].needs) {
            std::size_t j = index.at(need);
            if (marks[j] == Mark::grey) {
                std::vector<std::string> cycle;
                auto start = std::find(path.begin(), path.end(), j);
                for (auto it = start; it != path.end(); ++it)
                    cycle.push_back(pipeline.stages[*it].name);
                cycle.push_back(pipeline.stages[j].name);
                return cycle;
            }
            if (marks[j] == Mark::white)
                if (auto cycle = visit(j))
                    return cycle;
        }
        path.pop_back();
        marks[i] = Mark::black;
        return std::nullopt;
    };
    for (std::size_t i = 0; i < pipeline.stages.size(); ++i) {
        if (marks[i] != Mark::white)
            continue;
        if (auto cycle = visit(i)) {
            const Stage& first = pipeline.stages[index.at(cycle->front())];
            return fail(ExitCode::usage,
                        fmt::format("{}: 'needs' forms a cycle: {}", first.location.str(),
                                    util::join(*cycle, " -> ")),
                        "remove one of these 'needs' so the stages can run in an order");
        }
    }
    return {};
}

std::vector<std::size_t> topological_order(const Pipeline& pipeline) {
    std::map<std::string, std::size_t> index;
    for (std::size_t i = 0; i < pipeline.stages.size(); ++i)
        index.emplace(pipeline.stages[i].name, i);
    std::vector<bool> placed(pipeline.stages.size(), false);
    std::vector<std::size_t> order;
    // Repeatedly take the first stage in file order whose needs are placed: stable and simple,
    // and pipelines have a handful of stages.
    while (order.size() < pipeline.stages.size()) {
        bool progressed = false;
        for (std::size_t i = 0; i < pipeline.stages.size(); ++i) {
            if (placed[i])
                continue;
            bool ready = true;
            for (const auto& need : pipeline.stages[i].needs)
                ready = ready && placed[index.at(need)];
            if (ready) {
                placed[i] = true;
                order.push_back(i);
                progressed = true;
                break;
            }
        }
        if (!progressed)
            break; // a cycle; validate_graph reports it
    }
    return order;
}

} // namespace rcd::pipeline
