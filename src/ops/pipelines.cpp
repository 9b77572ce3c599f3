// rcd pipelines [show NAME]: the pipelines rcd knows, and where each comes from.
#include "rcd/ops/commands.hpp"
#include "rcd/pipeline/catalog.hpp"

#include <fmt/format.h>
#include <iostream>

namespace rcd::ops {

Result<int> pipelines(const Invocation& invocation, const std::string& show) {
    pipeline::Catalog catalog(invocation.dir,
                              invocation.pipelines_dir.empty()
                                  ? std::nullopt
                                  : std::optional<std::filesystem::path>(invocation.pipelines_dir));
    auto doc = report::json_header("pipelines", "", invocation.absolute_dir());
    if (!show.empty()) {
        RCD_ASSIGN(auto source, catalog.find(show));
        if (invocation.json) {
            doc.update({{"ok", true},
                        {"exit_code", 0},
                        {"language", source.language},
                        {"origin", source.origin},
                        {"text", source.text}});
            print_json(doc);
        } else {
            std::cout << source.text;
        }
        return 0;
    }
    auto sources = catalog.list();
    if (invocation.json) {
        doc.update({{"ok", true}, {"exit_code", 0}, {"pipelines", nlohmann::json::array()}});
        for (const auto& s : sources)
            doc["pipelines"].push_back({{"language", s.language}, {"origin", s.origin}});
        print_json(doc);
        return 0;
    }
    for (const auto& s : sources)
        std::cout << fmt::format("{:<12} {}\n", s.language, s.origin);
    return 0;
}

} // namespace rcd::ops
