/* A multithreaded C program with call stacks of a real server's depth, for the large
 * frame-pointer bench file: each request goes down ~18 levels of named functions (a choice of
 * two at every third level, so a few hundred distinct paths), then ends in hashing, an
 * allocation or a shared lock (which brings the kernel's futex path into the stacks).
 *
 *   gcc -O2 -g -fno-omit-frame-pointer -pthread -o layers layers.c
 *   ./layers SECONDS THREADS
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define NOINLINE __attribute__((noinline))

static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile uint64_t shared_total;
static volatile int stop;

NOINLINE static uint64_t hash_rounds(uint64_t x, int rounds) {
  for (int i = 0; i < rounds; i++)
    x = x * 6364136223846793005ULL + 1442695040888963407ULL + (x >> 29);
  return x;
}

NOINLINE static uint64_t churn_allocation(uint64_t x) {
  size_t size = 32 + (x & 2047);
  unsigned char *block = malloc(size);
  for (size_t i = 0; i < size; i += 64) block[i] = (unsigned char)(x + i);
  x += block[size / 2];
  free(block);
  return x;
}

NOINLINE static uint64_t update_shared(uint64_t x) {
  pthread_mutex_lock(&shared_lock);
  shared_total += hash_rounds(x, 20);
  pthread_mutex_unlock(&shared_lock);
  return x;
}

NOINLINE static uint64_t leaf_work(uint64_t x) {
  switch (x % 10) {
  case 0: case 1: return churn_allocation(x);
  case 2: case 3: return update_shared(x);
  default: return hash_rounds(x, 100 + (int)(x % 5) * 50);
  }
}

static uint64_t descend(uint64_t x, int depth);

/* One level of the request's path. Each is its own function, so the path has names. */
#define LEVEL(name)                                                              \
  NOINLINE static uint64_t name(uint64_t x, int depth) {                         \
    uint64_t r = descend(x ^ (x >> 7), depth - 1);                               \
    return r + (uint64_t)depth;                                                  \
  }
LEVEL(accept_request) LEVEL(route_request) LEVEL(decode_headers) LEVEL(decode_body)
LEVEL(authorize) LEVEL(load_session) LEVEL(plan_query) LEVEL(rewrite_query)
LEVEL(open_cursor) LEVEL(scan_index) LEVEL(scan_table) LEVEL(filter_rows)
LEVEL(join_rows) LEVEL(aggregate_rows) LEVEL(sort_rows) LEVEL(project_rows)
LEVEL(encode_rows) LEVEL(compress_reply) LEVEL(write_reply) LEVEL(log_request)

typedef uint64_t (*level_fn)(uint64_t, int);
static const level_fn levels[] = {
    accept_request, route_request, decode_headers, decode_body, authorize,
    load_session,   plan_query,    rewrite_query,  open_cursor, scan_index,
    scan_table,     filter_rows,   join_rows,      aggregate_rows, sort_rows,
    project_rows,   encode_rows,   compress_reply, write_reply, log_request,
};
#define LEVELS (int)(sizeof levels / sizeof levels[0])

static uint64_t descend(uint64_t x, int depth) {
  if (depth <= 0) return leaf_work(x);
  /* Every third level chooses between two functions; the others follow one path. */
  int pick = depth % 3 == 0 ? (int)((x >> (depth % 16)) & 1) : 0;
  return levels[(depth + pick) % LEVELS](x * 31 + (uint64_t)depth, depth);
}

static void *worker(void *arg) {
  uint64_t x = (uint64_t)(uintptr_t)arg * 0x9e3779b97f4a7c15ULL + 1;
  uint64_t sum = 0;
  while (!stop) {
    x = hash_rounds(x, 1);
    sum += descend(x, 18);
  }
  return (void *)(uintptr_t)sum;
}

int main(int argc, char **argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 5;
  int threads = argc > 2 ? atoi(argv[2]) : 4;
  pthread_t *ids = calloc((size_t)threads, sizeof *ids);
  for (int i = 0; i < threads; i++) pthread_create(&ids[i], NULL, worker, (void *)(uintptr_t)(i + 1));
  struct timespec pause = {(time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9)};
  nanosleep(&pause, NULL);
  stop = 1;
  uint64_t total = 0;
  for (int i = 0; i < threads; i++) {
    void *r;
    pthread_join(ids[i], &r);
    total += (uint64_t)(uintptr_t)r;
  }
  printf("%d threads, %.1f s, checksum %llu\n", threads, seconds, (unsigned long long)(total ^ shared_total));
  return 0;
}
