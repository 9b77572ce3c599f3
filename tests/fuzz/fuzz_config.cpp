// rcd.yaml and pipeline files: any bytes give a config or an error, never a crash.
#include "rcd/pipeline/loader.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)rcd::pipeline::parse_repo_config(text, "rcd.yaml");
    (void)rcd::pipeline::parse_pipeline(text, "rust.yaml");
    return 0;
}
