#include <stdio.h>
#include <time.h>

/* Half the time reading the clock (through the vDSO), half in a loop of its own. */
static double seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

__attribute__((noinline)) static unsigned long spin(unsigned long n) {
    unsigned long x = n;
    for (unsigned long i = 0; i < 2000; i++)
        x = x * 6364136223846793005UL + 1442695040888963407UL;
    return x;
}

int main(void) {
    double start = seconds();
    unsigned long acc = 0, calls = 0;
    while (seconds() - start < 0.4) {
        acc += spin(calls++);
        for (int i = 0; i < 20; i++)
            acc += (unsigned long)seconds();
    }
    printf("%lu %lu\n", calls, acc & 1);
    return 0;
}
