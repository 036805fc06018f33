// Five pipeline stages that each spend most of their time in one shared inline helper
// (mix_block), which the compiler inlines into every stage: one change to mix_block speeds up
// all five.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

static inline std::uint64_t mix_block(const std::vector<std::uint64_t>& v, std::uint64_t salt) {
    std::uint64_t h = salt;
    for (std::uint64_t x : v) {
        h ^= x + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
        h *= 0xff51afd7ed558ccdULL;
    }
    return h;
}

}  // namespace

namespace stages {

__attribute__((noinline)) std::uint64_t decode(const std::vector<std::uint64_t>& v) { return mix_block(v, 1); }
__attribute__((noinline)) std::uint64_t validate(const std::vector<std::uint64_t>& v) { return mix_block(v, 2) ^ v.size(); }
__attribute__((noinline)) std::uint64_t enrich(const std::vector<std::uint64_t>& v) { return mix_block(v, 3) + 7; }
__attribute__((noinline)) std::uint64_t index(const std::vector<std::uint64_t>& v) { return mix_block(v, 4) * 3; }
__attribute__((noinline)) std::uint64_t store(const std::vector<std::uint64_t>& v) { return mix_block(v, 5) - 1; }

}  // namespace stages

int main(int argc, char** argv) {
    double secs = argc > 1 ? std::atof(argv[1]) : 1.0;
    std::vector<std::uint64_t> block(4096);
    for (std::size_t i = 0; i < block.size(); ++i) block[i] = i * 2654435761u;
    auto start = std::chrono::steady_clock::now();
    std::uint64_t acc = 0;
    while (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < secs) {
        acc += stages::decode(block);
        acc ^= stages::validate(block);
        acc += stages::enrich(block);
        acc ^= stages::index(block);
        acc += stages::store(block);
        block[acc % block.size()] ^= acc;
    }
    std::printf("shared_helper %llu\n", (unsigned long long)acc);
    return 0;
}
