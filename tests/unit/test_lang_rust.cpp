#include "rcd/lang/rust.hpp"

#include <catch2/catch.hpp>

using namespace rcd;

TEST_CASE("cargo's compiling commands get JSON messages before any '--', once") {
    using V = std::vector<std::string>;
    CHECK(lang::with_json_messages({"cargo", "clippy", "--workspace", "--", "-D", "warnings"}) ==
          V{"cargo", "clippy", "--workspace", "--message-format=json", "--", "-D", "warnings"});
    CHECK(lang::with_json_messages({"cargo", "test", "--locked"}) ==
          V{"cargo", "test", "--locked", "--message-format=json"});
    CHECK(lang::with_json_messages({"cargo", "fmt", "--all", "--", "--check"}) ==
          V{"cargo", "fmt", "--all", "--", "--check"});
    CHECK(lang::with_json_messages({"cargo", "build", "--message-format=short"}) ==
          V{"cargo", "build", "--message-format=short"});
    CHECK(lang::with_json_messages({"make", "test"}) == V{"make", "test"});
}
