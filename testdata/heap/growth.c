/* Heap shapes over time, for the memory_growth finding's tests (argument: growth, sawtooth,
 * plateau or accelerate).
 * growth: a cache that only grows, 64 KiB every millisecond, for half a second.
 * sawtooth: a buffer filled to 4 MiB and freed, over and over (streaming), for the same time.
 * plateau: a 16 MiB table filled in the first 50 ms, then work that allocates and frees one
 *   block at a time (a one-off rise, then flat).
 * accelerate: every millisecond, a snapshot of all the history so far is kept (each step keeps
 *   more than the one before: quadratic growth). */
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

__attribute__((noinline)) static void fill_table(void) {
    double start = now();
    for (int i = 0; i < 256; i++) {
        char *block = malloc(64 * 1024); /* kept: the table */
        memset(block, 1, 64 * 1024);
        if (i % 5 == 0)
            pause_ms();
    }
    while (now() - start < 0.5) {
        char *scratch = malloc(4096);
        memset(scratch, 2, 4096);
        free(scratch);
        pause_ms();
    }
}

__attribute__((noinline)) static void keep_snapshots(void) {
    double start = now();
    size_t history = 0;
    while (now() - start < 0.5) {
        history += 1024;
        char *snapshot = malloc(history); /* kept: a copy of everything so far */
        memset(snapshot, 1, history);
        pause_ms();
    }
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "growth";
    if (strcmp(mode, "sawtooth") == 0)
        stream_chunks();
    else if (strcmp(mode, "plateau") == 0)
        fill_table();
    else if (strcmp(mode, "accelerate") == 0)
        keep_snapshots();
    else
        grow_forever();
    return 0;
}
