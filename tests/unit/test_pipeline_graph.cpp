#include "rcd/pipeline/graph.hpp"
#include "rcd/pipeline/loader.hpp"

#include <catch2/catch.hpp>

using namespace rcd::pipeline;

namespace {
Pipeline make(std::vector<std::pair<std::string, std::vector<std::string>>> stages) {
    Pipeline p;
    p.language = "test";
    for (auto& [name, needs] : stages) {
        Stage s;
        s.name = name;
        s.run = {"true"};
        s.needs = needs;
        p.stages.push_back(s);
    }
    return p;
}
std::vector<std::string> names(const Pipeline& p) {
    std::vector<std::string> out;
    for (auto i : topological_order(p))
        out.push_back(p.stages[i].name);
    return out;
}
} // namespace

TEST_CASE("stages keep file order when nothing forces another") {
    CHECK(names(make({{"fmt", {}}, {"clippy", {}}, {"test", {}}})) ==
          std::vector<std::string>{"fmt", "clippy", "test"});
}

TEST_CASE("a stage runs after the stages it needs even if listed first") {
    CHECK(names(make({{"build", {"test"}}, {"fmt", {}}, {"test", {"fmt"}}})) ==
          std::vector<std::string>{"fmt", "test", "build"});
}

TEST_CASE("a self-dependency is a cycle") {
    auto status = validate_graph(make({{"a", {"a"}}}));
    REQUIRE_FALSE(status);
    CHECK(status.error().message == ": 'needs' forms a cycle: a -> a");
}

TEST_CASE("a diamond is not a cycle") {
    CHECK(validate_graph(make({{"a", {}}, {"b", {"a"}}, {"c", {"a"}}, {"d", {"b", "c"}}})));
}
