/* Two phases on two threads, for `profview timeline`'s tests: about one second of parsing
 * (parse_numbers), then about one second of hashing (hash_blocks), on each thread. */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

static double seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double start;

__attribute__((noinline)) static long parse_numbers(void) {
    static const char digits[] = "1234567890123456789012345678901234567890";
    long total = 0;
    for (int round = 0; round < 200; round++) {
        long value = 0;
        for (int i = 0; i < 18; i++)
            value = value * 10 + (digits[(i + round) % 40] - '0');
        total += value;
    }
    return total;
}

__attribute__((noinline)) static unsigned long hash_blocks(void) {
    static unsigned char block[4096];
    unsigned long h = 0xcbf29ce484222325UL;
    for (int round = 0; round < 16; round++)
        for (int i = 0; i < 4096; i++)
            h = (h ^ block[i]) * 1099511628211UL;
    return h;
}

static void *worker(void *arg) {
    unsigned long acc = 0;
    while (seconds() - start < 1.0)
        acc += (unsigned long)parse_numbers();
    while (seconds() - start < 2.0)
        acc += hash_blocks();
    *(unsigned long *)arg = acc;
    return NULL;
}

int main(void) {
    start = seconds();
    pthread_t threads[2];
    unsigned long results[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&threads[i], NULL, worker, &results[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(threads[i], NULL);
    /* The results are used (so the work is not optimized away) but the status is 0. */
    return (results[0] ^ results[1]) == 42;
}
