// Whether a benchmark got faster or slower: the baseline's and the candidate's samples, taken
// in interleaved rounds on one machine, judged by a rank test with a minimum effect. Pure.
#pragma once

#include <string>
#include <vector>

namespace rcd::bench {

// The time of one iteration, in nanoseconds, of each sample of one run (one round of one side).
using Round = std::vector<double>;

enum class Verdict { faster, slower, unchanged, too_noisy };

const char* verdict_name(Verdict verdict); // "faster", "slower", "unchanged", "too noisy"

struct Settings {
    double min_effect = 0.05; // a change smaller than this is no change (5 %)
    double alpha = 0.01;      // the significance level; the interval is at 1 - alpha
};

// The Mann-Whitney U test of two samples (normal approximation, corrected for ties and
// continuity), and the Hodges-Lehmann estimate of the shift between them with its confidence
// interval (the pairwise differences `b - a`).
struct RankTest {
    double p_value = 1;
    double shift = 0;
    double low = 0;
    double high = 0;
};
RankTest rank_test(const std::vector<double>& a, const std::vector<double>& b, double alpha);

struct Comparison {
    Verdict verdict = Verdict::too_noisy;
    double change = 0; // candidate / baseline - 1 (0.12: 12 % slower)
    double low = 0;    // its confidence interval, at `confidence`
    double high = 0;
    double p_value = 1;
    double confidence = 0.99;
    double threshold = 0.05; // the change that counts: min_effect, or the benchmark's allowance
    double baseline_ns = 0;  // median time of one iteration
    double candidate_ns = 0;
    int rounds_agreeing = 0; // rounds whose own medians moved the way `change` does
    int rounds = 0;
    std::string reason; // why it is too noisy
};

// Judges `candidate` against `baseline` (the same number of rounds, run alternately). The
// samples are compared on a log scale, so a change is a ratio. Slower (faster): the test is
// significant, the estimated change is at least `threshold`, and every round's medians moved
// that way. Unchanged: the whole confidence interval lies within +-threshold. Anything else
// is too noisy to tell.
Comparison compare(const std::vector<Round>& baseline, const std::vector<Round>& candidate,
                   double threshold, const Settings& settings);

double median(std::vector<double> values);

} // namespace rcd::bench
