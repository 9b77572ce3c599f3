# Shared by the benchmarks: the rcd binary to measure, and timing helpers.
# Source it after `cd` to the project root; $1 of the script may name the rcd binary.
export PATH="$HOME/.cargo/bin:$PATH" CARGO_TERM_COLOR=never
RCD=${1:-build/release/rcd}
if [ ! -x "$RCD" ]; then
  cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DRCD_TESTS=OFF >/dev/null
  cmake --build build/release >/dev/null
fi
RCD=$(realpath "$RCD")

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
