/* A program with three heap behaviours, for the heap-profile readers' tests:
 * - leak_config: 100 blocks of 1000 bytes, never freed (a leak);
 * - format_line: 20000 blocks of 64 bytes, freed at once (temporary churn);
 * - grow_cache: one array grown by realloc to 4 MB, live at the peak, freed at the end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *keep[100];

__attribute__((noinline)) static void leak_config(void) {
    for (int i = 0; i < 100; i++) {
        keep[i] = malloc(1000);
        memset(keep[i], i, 1000);
    }
}

__attribute__((noinline)) static size_t format_line(int i) {
    char *line = malloc(64);
    size_t n = (size_t)snprintf(line, 64, "line %d", i);
    free(line);
    return n;
}

__attribute__((noinline)) static int *grow_cache(size_t n) {
    int *cache = NULL;
    for (size_t size = 1024; size <= n; size *= 2) {
        cache = realloc(cache, size * sizeof *cache);
        memset(cache, 0, size * sizeof *cache);
    }
    return cache;
}

int main(void) {
    size_t total = 0;
    leak_config();
    for (int i = 0; i < 20000; i++)
        total += format_line(i);
    int *cache = grow_cache(1 << 20);
    printf("%zu %d\n", total, cache[7]);
    free(cache);
    return 0;
}
