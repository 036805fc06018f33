/* A CPU-bound program for `profview record`'s tests: most of the time in checksum(), called
 * through two levels of the program's own code, for about the seconds given (default 0.4;
 * Ctrl-C stops it earlier). */
#include <stdlib.h>
#include <time.h>

static double seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

__attribute__((noinline)) static unsigned long checksum(const unsigned char *data, int n) {
    unsigned long sum = 0;
    for (int round = 0; round < 64; round++)
        for (int i = 0; i < n; i++)
            sum = (sum ^ data[i]) * 1099511628211UL;
    return sum;
}

__attribute__((noinline)) static unsigned long process(unsigned char *data, int n) {
    for (int i = 0; i < n; i++)
        data[i] = (unsigned char)(data[i] * 31 + i);
    return checksum(data, n);
}

__attribute__((noinline)) static unsigned long run(double limit) {
    unsigned char data[4096];
    for (int i = 0; i < 4096; i++)
        data[i] = (unsigned char)i;
    unsigned long acc = 0;
    double start = seconds();
    while (seconds() - start < limit)
        acc += process(data, 4096);
    return acc;
}

int main(int argc, char **argv) {
    double limit = argc > 1 ? atof(argv[1]) : 0.4;
    /* The result is used (so the work is not optimized away) but the status is 0. */
    return run(limit) == 42;
}
