#include "rcd/lang/go.hpp"

#include <catch2/catch.hpp>

using namespace rcd;

TEST_CASE("go.mod's module and go lines are read, comments and quotes aside") {
    auto module = lang::parse_go_mod("// a service\nmodule \"example.com/team/api\" // here\n\n"
                                     "go 1.19\n\nrequire (\n\tgolang.org/x/text v0.3.7\n)\n");
    CHECK(module.path == "example.com/team/api");
    CHECK(module.go == "1.19");
    CHECK(lang::parse_go_mod("require x v1\n").path.empty());
}

TEST_CASE("only go test with -json is read as test2json events") {
    CHECK(lang::runs_go_test_json({"go", "test", "-json", "./..."}));
    CHECK(lang::runs_go_test_json({"/usr/lib/go-1.19/bin/go", "test", "./...", "-json"}));
    CHECK_FALSE(lang::runs_go_test_json({"go", "test", "./..."}));
    CHECK_FALSE(lang::runs_go_test_json({"go", "vet", "-json", "./..."}));
    CHECK_FALSE(lang::runs_go_test_json({"gotest", "test", "-json"}));
}

TEST_CASE("the go cache key changes with the modules, the toolchain and the platforms only") {
    lang::GoKeyInput base{"go",
                          "a v1 h1:x\n",
                          "",
                          "1.19",
                          "go version go1.19.8 linux/amd64",
                          {"linux/amd64 cgo=1", "linux/amd64 cgo=0"}};
    const auto key = lang::go_cache_key(base);
    CHECK(key.size() == 64);
    auto same = base;
    same.platforms = {"linux/amd64 cgo=0", "linux/amd64 cgo=1", "linux/amd64 cgo=0"};
    CHECK(lang::go_cache_key(same) == key); // a set: order and repeats do not count
    for (auto change : {+[](lang::GoKeyInput& in) { in.go_sum += "b v2 h1:y\n"; },
                        +[](lang::GoKeyInput& in) { in.vendor_modules = "# b v2\n"; },
                        +[](lang::GoKeyInput& in) { in.go_line = "1.20"; },
                        +[](lang::GoKeyInput& in) { in.go_version = "go version go1.20 x"; },
                        +[](lang::GoKeyInput& in) { in.platforms = {"linux/arm64 cgo=0"}; },
                        +[](lang::GoKeyInput& in) { in.profile = "other"; }}) {
        auto changed = base;
        change(changed);
        CHECK(lang::go_cache_key(changed) != key);
    }
}

TEST_CASE("GOOS and GOARCH map to image platforms; other systems have none") {
    CHECK(lang::go_platform("linux", "amd64", "") == image::Platform{"linux", "amd64", ""});
    CHECK(lang::go_platform("linux", "arm", "6") == image::Platform{"linux", "arm", "v6"});
    CHECK(lang::go_platform("linux", "arm", "") == image::Platform{"linux", "arm", "v7"});
    CHECK_FALSE(lang::go_platform("darwin", "arm64", ""));
    CHECK_FALSE(lang::go_platform("linux", "mips", ""));
}

TEST_CASE("go list's modules become the SBOM's graph, the main module first") {
    lang::GoModule module{"example.com/api", "1.19"};
    auto graph = lang::go_dependency_graph("example.com/api\t\ttrue\n"
                                           "golang.org/x/text\tv0.3.7\tfalse\n"
                                           "github.com/google/uuid\tv1.3.0\tfalse\n"
                                           "golang.org/x/text\tv0.3.7\tfalse\n"
                                           "\n",
                                           module);
    CHECK(graph.ecosystem == "golang");
    CHECK(graph.root == "example.com/api");
    REQUIRE(graph.packages.size() == 3);
    CHECK(graph.packages[0].name == "example.com/api");
    CHECK(graph.packages[0].workspace_member);
    CHECK(graph.packages[1].name == "github.com/google/uuid");
    CHECK(graph.packages[1].version == "v1.3.0");
    CHECK(graph.packages[1].source == "go");
    REQUIRE(graph.edges.size() == 2);
    CHECK(graph.edges[0].from == "example.com/api");
    // A module with only the standard library still has its root.
    auto alone = lang::go_dependency_graph("", module);
    REQUIRE(alone.packages.size() == 1);
    CHECK(alone.packages[0].id == "example.com/api");
}
