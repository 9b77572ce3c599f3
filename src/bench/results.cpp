#include "rcd/bench/results.hpp"

#include "rcd/util/fs.hpp"
#include "rcd/util/strings.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <set>

namespace rcd::bench {

namespace {

using nlohmann::json;

// Characters, not bytes: "µ" and the sparkline's blocks are one column each.
std::size_t width(const std::string& text) {
    return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
}

// Rows of cells as aligned columns, two spaces apart.
std::string columns(const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> widths;
    for (const auto& row : rows)
        for (std::size_t i = 0; i < row.size(); ++i) {
            widths.resize(std::max(widths.size(), row.size()));
            widths[i] = std::max(widths[i], width(row[i]));
        }
    std::string out;
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size())
                line += std::string(widths[i] - width(row[i]) + 2, ' ');
        }
        out += line + "\n";
    }
    return out;
}

std::string percent(double value) {
    return fmt::format("{:+.1f} %", value * 100);
}

std::string p_text(double p) {
    return p < 0.001 ? "<0.001" : fmt::format("{:.3f}", p);
}

std::string short_commit(const std::string& commit) {
    return commit.substr(0, 8);
}

// The cells of one benchmark: baseline, candidate, change, interval, p, verdict.
std::vector<std::string> cells(const Benchmark& b) {
    if (!b.comparison)
        return {b.id, "-", format_time(b.median_ns), "-", "-", "-", "new"};
    const auto& c = *b.comparison;
    return {b.id,
            format_time(c.baseline_ns),
            format_time(c.candidate_ns),
            percent(c.change),
            fmt::format("[{}, {}]", percent(c.low), percent(c.high)),
            p_text(c.p_value),
            verdict_name(c.verdict)};
}

std::vector<std::string> header(const Results& r) {
    return {"benchmark",
            "baseline",
            "candidate",
            "change",
            fmt::format("{:.0f} % interval", (1 - r.settings.alpha) * 100),
            "p",
            "verdict"};
}

Verdict verdict_from(const std::string& name) {
    for (auto v : {Verdict::faster, Verdict::slower, Verdict::unchanged, Verdict::too_noisy})
        if (name == verdict_name(v))
            return v;
    return Verdict::too_noisy;
}

// Each benchmark's median in each of `history` (0 where it was not measured).
std::vector<double> series(const std::vector<Results>& history, const std::string& id) {
    std::vector<double> out;
    for (const auto& results : history) {
        double value = 0;
        for (const auto& b : results.benchmarks)
            if (b.id == id)
                value = b.median_ns;
        out.push_back(value);
    }
    return out;
}

} // namespace

Result<Round> parse_sample(const std::string& text, const std::string& where) {
    auto doc = json::parse(text, nullptr, false);
    auto bad = [&](const std::string& what) -> Result<Round> {
        return fail(ExitCode::stage_failed, fmt::format("{}: {}", where, what),
                    "criterion wrote it: run the bench again; if it stays, report it");
    };
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("iters") ||
        !doc.contains("times") || !doc["iters"].is_array() || !doc["times"].is_array())
        return bad("not criterion's sample file (no 'iters' and 'times' lists)");
    const auto& iters = doc["iters"];
    const auto& times = doc["times"];
    if (iters.size() != times.size() || iters.empty())
        return bad("'iters' and 'times' differ in length or are empty");
    Round round;
    for (std::size_t i = 0; i < iters.size(); ++i) {
        if (!iters[i].is_number() || !times[i].is_number())
            return bad(fmt::format("sample {} is not a number", i));
        const double n = iters[i].get<double>();
        const double t = times[i].get<double>();
        if (!(n > 0) || !(t >= 0) || !std::isfinite(t))
            return bad(fmt::format("sample {} has {} iterations in {} ns", i, n, t));
        round.push_back(t / n);
    }
    return round;
}

Result<std::map<std::string, Round>> read_criterion(const std::filesystem::path& dir) {
    std::map<std::string, Round> out;
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
        return out;
    for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        if (!it->is_directory() || it->path().filename() != "new")
            continue;
        const auto meta_file = it->path() / "benchmark.json";
        const auto sample_file = it->path() / "sample.json";
        if (!std::filesystem::exists(meta_file) || !std::filesystem::exists(sample_file))
            continue;
        RCD_ASSIGN(auto meta_text, util::read_file(meta_file));
        auto meta = json::parse(meta_text, nullptr, false);
        if (meta.is_discarded() || !meta.is_object() || !meta.contains("full_id") ||
            !meta["full_id"].is_string())
            return fail(
                ExitCode::stage_failed,
                fmt::format("{}: no 'full_id' in criterion's benchmark file", meta_file.string()),
                "is this criterion 0.3 or later?");
        RCD_ASSIGN(auto sample_text, util::read_file(sample_file));
        RCD_ASSIGN(auto round, parse_sample(sample_text, sample_file.string()));
        out[meta["full_id"].get<std::string>()] = std::move(round);
    }
    if (ec)
        return fail(ExitCode::filesystem, fmt::format("{}: {}", dir.string(), ec.message()));
    return out;
}

int Results::count(Verdict verdict) const {
    return static_cast<int>(std::count_if(benchmarks.begin(), benchmarks.end(), [&](const auto& b) {
        return b.comparison && b.comparison->verdict == verdict;
    }));
}

bool Results::failed() const {
    return fail_on == "slower" && count(Verdict::slower) > 0;
}

std::vector<Benchmark> judge(const Measurements& baseline, const Measurements& candidate,
                             const Settings& settings, const std::map<std::string, double>& allow) {
    std::vector<Benchmark> out;
    for (const auto& [id, rounds] : candidate) {
        Benchmark b;
        b.id = id;
        std::vector<double> all;
        for (const auto& round : rounds)
            all.insert(all.end(), round.begin(), round.end());
        b.median_ns = median(all);
        b.samples = static_cast<int>(all.size());
        if (auto before = baseline.find(id); before != baseline.end()) {
            double threshold = settings.min_effect;
            if (auto allowed = allow.find(id); allowed != allow.end())
                threshold = std::max(threshold, allowed->second);
            b.comparison = compare(before->second, rounds, threshold, settings);
        }
        out.push_back(std::move(b));
    }
    return out;
}

json to_json(const Results& r) {
    json benchmarks = json::array();
    for (const auto& b : r.benchmarks) {
        json entry = {{"id", b.id}, {"median_ns", b.median_ns}, {"samples", b.samples}};
        if (b.comparison) {
            const auto& c = *b.comparison;
            entry["verdict"] = verdict_name(c.verdict);
            entry["baseline_median_ns"] = c.baseline_ns;
            entry["change"] = c.change;
            entry["interval"] = {c.low, c.high};
            entry["confidence"] = c.confidence;
            entry["p_value"] = c.p_value;
            entry["threshold"] = c.threshold;
            entry["rounds_agreeing"] = c.rounds_agreeing;
            if (!c.reason.empty())
                entry["reason"] = c.reason;
        } else {
            entry["verdict"] = "new";
        }
        benchmarks.push_back(std::move(entry));
    }
    return {{"schema", kSchema},
            {"name", r.name},
            {"commit", r.commit},
            {"commit_time", r.commit_time},
            {"baseline", r.baseline ? json(*r.baseline) : json(nullptr)},
            {"baseline_source", r.baseline_source},
            {"rounds", r.rounds},
            {"min_effect", r.settings.min_effect},
            {"alpha", r.settings.alpha},
            {"fail_on", r.fail_on},
            {"benchmarks", std::move(benchmarks)},
            {"slower", r.count(Verdict::slower)},
            {"faster", r.count(Verdict::faster)},
            {"too_noisy", r.count(Verdict::too_noisy)},
            {"failed", r.failed()}};
}

Result<Results> results_from_json(const json& doc) {
    auto bad = [](const std::string& what) -> Result<Results> {
        return fail(ExitCode::registry, fmt::format("not an rcd bench document: {}", what),
                    "it was written by something other than rcd");
    };
    if (!doc.is_object() || doc.value("schema", "") != kSchema)
        return bad(fmt::format("its schema is not {}", kSchema));
    try {
        Results r;
        r.name = doc.value("name", "");
        r.commit = doc.at("commit").get<std::string>();
        r.commit_time = doc.value("commit_time", 0LL);
        if (doc.contains("baseline") && doc["baseline"].is_string())
            r.baseline = doc["baseline"].get<std::string>();
        r.baseline_source = doc.value("baseline_source", "");
        r.rounds = doc.value("rounds", 0);
        r.settings.min_effect = doc.value("min_effect", 0.05);
        r.settings.alpha = doc.value("alpha", 0.01);
        r.fail_on = doc.value("fail_on", "slower");
        for (const auto& entry : doc.at("benchmarks")) {
            Benchmark b;
            b.id = entry.at("id").get<std::string>();
            b.median_ns = entry.at("median_ns").get<double>();
            b.samples = entry.value("samples", 0);
            if (entry.contains("baseline_median_ns")) {
                Comparison c;
                c.verdict = verdict_from(entry.value("verdict", ""));
                c.baseline_ns = entry.at("baseline_median_ns").get<double>();
                c.candidate_ns = b.median_ns;
                c.change = entry.value("change", 0.0);
                c.low = entry.at("interval").at(0).get<double>();
                c.high = entry.at("interval").at(1).get<double>();
                c.confidence = entry.value("confidence", 0.99);
                c.p_value = entry.value("p_value", 1.0);
                c.threshold = entry.value("threshold", r.settings.min_effect);
                c.rounds_agreeing = entry.value("rounds_agreeing", 0);
                c.rounds = r.rounds;
                c.reason = entry.value("reason", "");
                b.comparison = c;
            }
            r.benchmarks.push_back(std::move(b));
        }
        return r;
    } catch (const json::exception& e) {
        return bad(e.what());
    }
}

std::string format_time(double ns) {
    const char* unit = "ns";
    double value = ns;
    for (const char* next : {"µs", "ms", "s"}) {
        if (value < 1000)
            break;
        value /= 1000;
        unit = next;
    }
    const int decimals = value < 10 ? 2 : value < 100 ? 1 : 0;
    return fmt::format("{:.{}f} {}", value, decimals, unit);
}

std::string sparkline(const std::vector<double>& values) {
    static const char* blocks[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
    double low = 0, high = 0;
    bool any = false;
    for (double v : values) {
        if (v <= 0)
            continue;
        low = any ? std::min(low, v) : v;
        high = any ? std::max(high, v) : v;
        any = true;
    }
    std::string out;
    for (double v : values) {
        if (v <= 0) {
            out += " ";
            continue;
        }
        int level = high > low ? static_cast<int>(std::lround((v - low) / (high - low) * 7)) : 3;
        out += blocks[std::clamp(level, 0, 7)];
    }
    return out;
}

std::string text_table(const Results& r) {
    std::vector<std::vector<std::string>> rows = {header(r)};
    for (const auto& b : r.benchmarks)
        rows.push_back(cells(b));
    return columns(rows);
}

std::string markdown(const Results& r, const std::vector<Results>& history) {
    std::string out = "### Benchmarks\n\n";
    out += r.baseline ? fmt::format("Against {} ({}), {} interleaved rounds each; a change "
                                    "counts from {:.0f} %.\n\n",
                                    short_commit(*r.baseline), r.baseline_source, r.rounds,
                                    r.settings.min_effect * 100)
                      : fmt::format("No baseline: {}.\n\n", r.baseline_source);
    auto head = header(r);
    if (!history.empty())
        head.push_back(fmt::format("last {} releases", history.size() + 1));
    out += "| " + util::join(head, " | ") + " |\n";
    out += "|";
    for (std::size_t i = 0; i < head.size(); ++i)
        out += i == 0 ? " --- |" : " ---: |";
    out += "\n";
    auto with_this = history;
    with_this.push_back(r);
    for (const auto& b : r.benchmarks) {
        auto row = cells(b);
        if (b.comparison && b.comparison->verdict == Verdict::slower)
            row.back() = "**slower**";
        if (!history.empty())
            row.push_back(sparkline(series(with_this, b.id)));
        out += "| " + util::join(row, " | ") + " |\n";
    }
    return out;
}

std::string history_table(std::vector<Results> history, std::size_t last) {
    std::sort(history.begin(), history.end(),
              [](const Results& a, const Results& b) { return a.commit_time < b.commit_time; });
    if (history.size() > last)
        history.erase(history.begin(), history.end() - static_cast<std::ptrdiff_t>(last));
    std::vector<std::string> ids;
    std::set<std::string> seen;
    for (const auto& results : history)
        for (const auto& b : results.benchmarks)
            if (seen.insert(b.id).second)
                ids.push_back(b.id);
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> head = {"benchmark"};
    for (const auto& results : history)
        head.push_back(short_commit(results.commit));
    head.push_back("trend");
    rows.push_back(head);
    for (const auto& id : ids) {
        std::vector<std::string> row = {id};
        auto values = series(history, id);
        for (double v : values)
            row.push_back(v > 0 ? format_time(v) : "-");
        row.push_back(sparkline(values));
        rows.push_back(row);
    }
    return columns(rows);
}

std::vector<Finding> findings(const Results& r) {
    std::vector<Finding> out;
    for (const auto& b : r.benchmarks) {
        if (!b.comparison)
            continue;
        const auto& c = *b.comparison;
        const std::string measured =
            fmt::format("{} -> {}; {:.0f} % interval [{}, {}], p {}", format_time(c.baseline_ns),
                        format_time(c.candidate_ns), c.confidence * 100, percent(c.low),
                        percent(c.high), p_text(c.p_value));
        if (c.verdict == Verdict::slower)
            out.push_back({r.fail_on == "slower" ? "error" : "warning",
                           fmt::format("{} is {} slower ({}), more than the {:.0f} % that counts",
                                       b.id, percent(c.change), measured, c.threshold * 100)});
        else if (c.verdict == Verdict::too_noisy)
            out.push_back({"warning", fmt::format("{}: too noisy to judge, {} ({}; {})", b.id,
                                                  percent(c.change), c.reason, measured)});
        else
            out.push_back({"notice", fmt::format("{}: {} {} ({})", b.id, verdict_name(c.verdict),
                                                 percent(c.change), measured)});
    }
    return out;
}

} // namespace rcd::bench
