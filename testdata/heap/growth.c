/* Heap shapes over time, for the memory_growth finding's tests (argument: growth or sawtooth).
 * growth: a cache that only grows, 64 KiB every millisecond, for half a second.
 * sawtooth: a buffer filled to 4 MiB and freed, over and over (streaming), for the same time. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void pause_ms(void) {
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
}

__attribute__((noinline)) static void grow_forever(void) {
    double start = now();
    while (now() - start < 0.5) {
        char *block = malloc(64 * 1024); /* kept: the cache only grows */
        memset(block, 1, 64 * 1024);
        pause_ms();
    }
}

__attribute__((noinline)) static void stream_chunks(void) {
    double start = now();
    while (now() - start < 0.5) {
        char *chunks[64];
        for (int i = 0; i < 64; i++) {
            chunks[i] = malloc(64 * 1024);
            memset(chunks[i], 1, 64 * 1024);
            if (i % 8 == 0)
                pause_ms();
        }
        for (int i = 0; i < 64; i++)
            free(chunks[i]);
    }
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "sawtooth") == 0)
        stream_chunks();
    else
        grow_forever();
    return 0;
}
