// JSON a registry or the local index hands rcd: the cache index, a cache manifest, an index
// entry, a base image's index, manifest and config, and text made fit for a terminal.
#include "rcd/cache/local_store.hpp"
#include "rcd/cache/registry_store.hpp"
#include "rcd/image/base.hpp"
#include "rcd/util/strings.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    auto pushed = nlohmann::json::parse(text, nullptr, false);
    (void)rcd::cache::merge_cache_index(text, pushed.is_discarded() ? nlohmann::json{} : pushed);
    (void)rcd::cache::parse_cache_manifest(text, std::string(64, 'a'));
    (void)rcd::cache::parse_index_entry(std::string(64, 'a'), text);
    (void)rcd::image::manifest_kind("", text, "base");
    (void)rcd::image::select_platform(text, {"linux", "arm64", "v8"}, "base");
    if (auto manifest = rcd::image::parse_image_manifest(text, "base")) {
        rcd::image::BaseImage base;
        base.layers = manifest->layers;
        (void)rcd::image::read_base_config(text, base);
    }
    (void)rcd::util::printable(text);
    return 0;
}
