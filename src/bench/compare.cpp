#include "rcd/bench/compare.hpp"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

namespace rcd::bench {

namespace {

// The standard normal quantile, by Acklam's rational approximation (relative error < 1.2e-9).
double normal_quantile(double p) {
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                               -2.759285104469687e+02, 1.383577518672690e+02,
                               -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                               -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                               -2.400758277161838e+00, -2.549732539343734e+00,
                               4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                               3.754408661907416e+00};
    const double low = 0.02425;
    if (p < low) {
        double q = std::sqrt(-2 * std::log(p));
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
               ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    if (p > 1 - low)
        return -normal_quantile(1 - p);
    double q = p - 0.5;
    double r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
           (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

std::vector<double> logs_of(const std::vector<Round>& rounds) {
    std::vector<double> out;
    for (const auto& round : rounds)
        for (double value : round)
            if (value > 0)
                out.push_back(std::log(value));
    return out;
}

std::vector<double> all_of(const std::vector<Round>& rounds) {
    std::vector<double> out;
    for (const auto& round : rounds)
        out.insert(out.end(), round.begin(), round.end());
    return out;
}

} // namespace

const char* verdict_name(Verdict verdict) {
    switch (verdict) {
    case Verdict::faster:
        return "faster";
    case Verdict::slower:
        return "slower";
    case Verdict::unchanged:
        return "unchanged";
    case Verdict::too_noisy:
        break;
    }
    return "too noisy";
}

double median(std::vector<double> values) {
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

RankTest rank_test(const std::vector<double>& a, const std::vector<double>& b, double alpha) {
    RankTest test;
    const double na = static_cast<double>(a.size());
    const double nb = static_cast<double>(b.size());
    if (a.empty() || b.empty())
        return test;

    // Ranks of the pooled samples, ties sharing their mean rank.
    std::vector<std::pair<double, bool>> pooled; // value, from b
    for (double v : a)
        pooled.emplace_back(v, false);
    for (double v : b)
        pooled.emplace_back(v, true);
    std::sort(pooled.begin(), pooled.end());
    const double n = na + nb;
    double rank_sum_b = 0;
    double ties = 0; // sum of t^3 - t over groups of ties
    for (std::size_t i = 0; i < pooled.size();) {
        std::size_t j = i;
        while (j < pooled.size() && pooled[j].first == pooled[i].first)
            ++j;
        const double t = static_cast<double>(j - i);
        const double rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;
        for (std::size_t k = i; k < j; ++k)
            if (pooled[k].second)
                rank_sum_b += rank;
        ties += t * t * t - t;
        i = j;
    }
    const double u = rank_sum_b - nb * (nb + 1) / 2;
    const double mean = na * nb / 2;
    const double variance = na * nb / 12 * ((n + 1) - ties / (n * (n - 1)));
    if (variance > 0) {
        const double distance = std::max(0.0, std::abs(u - mean) - 0.5);
        test.p_value = std::erfc(distance / std::sqrt(variance) / std::sqrt(2.0));
    }

    // Hodges-Lehmann: the median of every difference b - a, and the interval between the k-th
    // smallest and the k-th largest of them.
    std::vector<double> differences;
    differences.reserve(a.size() * b.size());
    for (double y : b)
        for (double x : a)
            differences.push_back(y - x);
    std::sort(differences.begin(), differences.end());
    test.shift = median(differences);
    const double z = normal_quantile(1 - alpha / 2);
    const double count = static_cast<double>(differences.size());
    double k = std::floor(mean - z * std::sqrt(na * nb * (n + 1) / 12));
    k = std::clamp(k, 1.0, count);
    test.low = differences[static_cast<std::size_t>(k) - 1];
    test.high = differences[differences.size() - static_cast<std::size_t>(k)];
    return test;
}

Comparison compare(const std::vector<Round>& baseline, const std::vector<Round>& candidate,
                   double threshold, const Settings& settings) {
    Comparison out;
    out.threshold = threshold;
    out.confidence = 1 - settings.alpha;
    out.baseline_ns = median(all_of(baseline));
    out.candidate_ns = median(all_of(candidate));
    const auto a = logs_of(baseline);
    const auto b = logs_of(candidate);
    if (a.size() < 2 || b.size() < 2) {
        out.reason = "too few samples";
        return out;
    }
    const RankTest test = rank_test(a, b, settings.alpha);
    out.p_value = test.p_value;
    out.change = std::exp(test.shift) - 1;
    out.low = std::exp(test.low) - 1;
    out.high = std::exp(test.high) - 1;

    // Round by round (each side's run of the same round, one right after the other): does each
    // move the way the whole does?
    out.rounds = static_cast<int>(std::min(baseline.size(), candidate.size()));
    for (int i = 0; i < out.rounds; ++i) {
        const double before = median(baseline[static_cast<std::size_t>(i)]);
        const double after = median(candidate[static_cast<std::size_t>(i)]);
        if ((out.change >= 0 && after >= before) || (out.change < 0 && after < before))
            ++out.rounds_agreeing;
    }

    const bool significant = out.p_value < settings.alpha;
    const bool large = std::abs(out.change) >= threshold;
    if (significant && large && out.rounds_agreeing == out.rounds) {
        out.verdict = out.change > 0 ? Verdict::slower : Verdict::faster;
    } else if (out.low > -threshold && out.high < threshold) {
        out.verdict = Verdict::unchanged;
    } else if (significant && large) {
        out.reason = fmt::format("{} of {} rounds moved the other way",
                                 out.rounds - out.rounds_agreeing, out.rounds);
    } else {
        out.reason =
            fmt::format("the {:.0f} % interval [{:+.1f} %, {:+.1f} %] reaches past "
                        "+-{:.1f} %",
                        out.confidence * 100, out.low * 100, out.high * 100, threshold * 100);
    }
    return out;
}

} // namespace rcd::bench
