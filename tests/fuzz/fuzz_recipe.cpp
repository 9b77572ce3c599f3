// The recipe from a Cargo.toml and a Cargo.lock (the input holds both, split at the first NUL).
#include "rcd/cache/recipe.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    auto split = text.find('\0');
    rcd::cache::RecipeInput input;
    input.workspace.root = "/work";
    input.manifests["Cargo.toml"] = text.substr(0, split);
    if (split != std::string::npos)
        input.lockfile = text.substr(split + 1);
    (void)rcd::cache::build_recipe(input);
    return 0;
}
