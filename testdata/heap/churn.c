// Allocation churn: 2N allocations (N is the argument, 10M by default) from a few dozen sites,
// mostly short-lived, some kept for a while (for excessive_allocation, and bench/run.sh's heaptrack file).
#include <stdlib.h>
#include <string.h>
#define KEEP 4096
static void *kept[KEEP];
__attribute__((noinline)) static void *site(int which, size_t n) { void *p = malloc(n + which); memset(p, which, 1); return p; }
#define LEAF(k) __attribute__((noinline)) static void *leaf##k(size_t n) { return site(k, n); }
LEAF(0) LEAF(1) LEAF(2) LEAF(3) LEAF(4) LEAF(5) LEAF(6) LEAF(7)
typedef void *(*leaf_fn)(size_t);
static leaf_fn leaves[8] = {leaf0, leaf1, leaf2, leaf3, leaf4, leaf5, leaf6, leaf7};
__attribute__((noinline)) static void mid(int i) {
  void *p = leaves[i & 7](16 + (i % 200));
  if (i % 5 == 0) { int k = (i / 5) % KEEP; free(kept[k]); kept[k] = p; }
  else free(p);
}
__attribute__((noinline)) static void outer_a(int n) { for (int i = 0; i < n; i++) mid(i); }
__attribute__((noinline)) static void outer_b(int n) { for (int i = 0; i < n; i++) mid(i * 3); }
int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 10000000;
  outer_a(n); outer_b(n);
  for (int k = 0; k < KEEP / 2; k++) free(kept[k]);
  return 0;
}
