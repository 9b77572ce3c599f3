// JSON a registry or the local index hands rcd: the cache index, a cache manifest, an index
// entry, and text made fit for a terminal.
#include "rcd/cache/local_store.hpp"
#include "rcd/cache/registry_store.hpp"
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
    (void)rcd::util::printable(text);
    return 0;
}
