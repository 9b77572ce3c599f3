// What cargo and libtest print: test results, diagnostics as JSON, panics.
#include "rcd/report/diagnostics.hpp"
#include "rcd/report/junit.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)rcd::report::parse_libtest(text);
    (void)rcd::report::parse_cargo_line(text);
    if (auto panic = rcd::report::parse_panic_line(text))
        (void)rcd::report::panic_annotation(*panic, "/work");
    return 0;
}
