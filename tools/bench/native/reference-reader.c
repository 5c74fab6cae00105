/* The C reference reader that tools/bench's floor test holds the @gptj/tensor bandwidth probe to:
 * the simplest reader that reaches the machine's read bandwidth, written without the probe's code.
 * Built by the test with the host's C compiler for this host (-O3 -march=native, so the plain loop
 * below is vectorised to the widest loads the CPU has; a prefetch 4 KiB ahead: without it the loop
 * read 15-23% below the probe in three series in a row on the Zen 5 host), it starts THREADS threads, each of which
 * first-touches then sums its own contiguous share of one huge-page buffer (MADV_HUGEPAGE) as 64-bit
 * words, in lockstep passes. It reads one number N per line from stdin and, for each, runs N timed
 * passes and prints one line {"best": B, "median": M} in bytes per second (wall time per pass), so a
 * test can interleave it with other measurements without paying for the first touch again.
 *   reference-reader BYTES THREADS */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static pthread_barrier_t start_line, finish_line;
static volatile int quit; /* set before a start line that ends the readers */

struct share {
  uint64_t* p;
  size_t words;
  uint64_t sum;
};

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void* reader(void* arg) {
  struct share* s = arg;
  memset(s->p, 1, s->words * 8);
  for (;;) {
    pthread_barrier_wait(&start_line);
    if (quit) return NULL;
    uint64_t sum = 0;
    for (size_t i = 0; i < s->words; i += 8) { /* a cache line a step, prefetched 4 KiB ahead */
      __builtin_prefetch(s->p + i + 512);
      for (size_t j = 0; j < 8; ++j) sum += s->p[i + j];
    }
    s->sum += sum;
    pthread_barrier_wait(&finish_line);
  }
}

/* One pass of every reader, in bytes per second. */
static double pass(size_t bytes) {
  const double t0 = now(); /* before the start line: no reader can start before this thread reaches it */
  pthread_barrier_wait(&start_line);
  pthread_barrier_wait(&finish_line);
  return (double)bytes / (now() - t0);
}

static int by_value(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: reference-reader BYTES THREADS (then timed passes per request on stdin)\n");
    return 2;
  }
  const size_t bytes = strtoull(argv[1], NULL, 10);
  const int threads = atoi(argv[2]);
  if (threads < 1 || threads > 256 || bytes < (size_t)threads * 4096) {
    fprintf(stderr, "reference-reader: bad arguments\n");
    return 2;
  }
  const size_t words = bytes / 8 / threads / 512 * 512, total = words * threads * 8; /* 4 KiB per thread */
  uint64_t* buf = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (buf == MAP_FAILED) {
    perror("reference-reader: mmap");
    return 1;
  }
  madvise(buf, total, MADV_HUGEPAGE);
  pthread_barrier_init(&start_line, NULL, threads + 1);
  pthread_barrier_init(&finish_line, NULL, threads + 1);
  struct share* shares = calloc(threads, sizeof *shares);
  pthread_t* ids = calloc(threads, sizeof *ids);
  for (int t = 0; t < threads; ++t) {
    shares[t] = (struct share){buf + t * words, words, 0};
    pthread_create(&ids[t], NULL, reader, &shares[t]);
  }
  pass(total); /* warm-up, untimed (waits for the first touch) */
  int passes;
  while (scanf("%d", &passes) == 1 && passes > 0) {
    double* rates = calloc(passes, sizeof *rates);
    for (int i = 0; i < passes; ++i) rates[i] = pass(total);
    qsort(rates, passes, sizeof *rates, by_value);
    const double median = passes % 2 ? rates[passes / 2] : (rates[passes / 2 - 1] + rates[passes / 2]) / 2;
    printf("{\"best\": %.0f, \"median\": %.0f}\n", rates[passes - 1], median);
    fflush(stdout);
    free(rates);
  }
  quit = 1;
  pthread_barrier_wait(&start_line);
  uint64_t check = 0;
  for (int t = 0; t < threads; ++t) {
    pthread_join(ids[t], NULL);
    check += shares[t].sum;
  }
  return check == 0; /* keeps the sums observable */
}
