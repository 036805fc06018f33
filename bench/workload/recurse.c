/* Issue 20's high-cardinality workload: a binary recursion to depth 20 with two call sites
 * (left and right), so that every leaf is reached by its own path: 2^20 distinct stacks, each
 * ~22 frames deep, walked again and again for the seconds given (default 45).
 *
 *   gcc -O2 -g -fno-omit-frame-pointer -o recurse bench/workload/recurse.c
 *   ./recurse 45
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define NOINLINE __attribute__((noinline))

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

NOINLINE static uint64_t leaf(uint64_t x) {
    for (int i = 0; i < 16; i++)
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return x;
}

/* Two call sites: the return addresses tell a left step from a right step. */
NOINLINE static uint64_t walk(int depth, uint64_t x) {
    if (depth == 0)
        return leaf(x);
    uint64_t left = walk(depth - 1, x * 3 + 1);
    uint64_t right = walk(depth - 1, x * 5 + 7);
    return left ^ (right >> 1);
}

int main(int argc, char **argv) {
    double limit = argc > 1 ? atof(argv[1]) : 45.0;
    double start = now();
    uint64_t acc = 0;
    int rounds = 0;
    while (now() - start < limit) {
        acc ^= walk(20, (uint64_t)rounds);
        rounds++;
    }
    printf("%d rounds, checksum %llu\n", rounds, (unsigned long long)acc);
    return 0;
}
