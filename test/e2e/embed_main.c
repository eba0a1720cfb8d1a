/* A plain C program that embeds a Lathe model: it includes the generated
 * header, links the object file, and calls the model with no runtime.
 * Build: cc -DMODEL_HEADER='"lenet.h"' -DMODEL=lenet -DMODEL_UPPER=LENET
 *        embed_main.c lenet.o -lm
 * Usage: embed_main input.bin output.bin (raw float32, row-major). */
#include MODEL_HEADER

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* A two-thread parallel_for, as a product with its own threads would write
 * one: the second half of [0, n) runs on a new thread. */
struct half {
  lathe_task_fn task;
  void *closure;
  int64_t begin, end;
};

static void *run_half(void *arg) {
  struct half *h = arg;
  h->task(h->closure, h->begin, h->end);
  return NULL;
}

static void two_thread_for(void *pool, int64_t n, lathe_task_fn task,
                           void *closure) {
  (void)pool;
  struct half second = {task, closure, n / 2, n};
  pthread_t thread;
  pthread_create(&thread, NULL, run_half, &second);
  task(closure, 0, n / 2);
  pthread_join(thread, NULL);
}

/* An allocator that counts what it hands out, to show that the call takes
 * its arena from the environment and gives it back. */
struct counts {
  int calls, live;
};
static struct counts allocations;

static void *counting_alloc(void *allocator, size_t size, size_t alignment) {
  struct counts *c = allocator;
  ++c->calls;
  ++c->live;
  return aligned_alloc(alignment,
                       (size + alignment - 1) / alignment * alignment);
}

static void counting_free(void *allocator, void *pointer) {
  struct counts *c = allocator;
  --c->live;
  free(pointer);
}

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define UPPER_NAME(suffix) CAT(MODEL_UPPER, suffix)

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s input.bin output.bin\n", argv[0]);
    return 2;
  }
  size_t in_count = UPPER_NAME(_INPUT0_ELEMENTS);
  size_t out_count = UPPER_NAME(_OUTPUT0_ELEMENTS);
  float *in = malloc(in_count * sizeof(float));
  float *out = malloc(out_count * sizeof(float));
  FILE *f = fopen(argv[1], "rb");
  if (!f || fread(in, sizeof(float), in_count, f) != in_count) {
    fprintf(stderr, "cannot read %s\n", argv[1]);
    return 1;
  }
  fclose(f);
  void *inputs[] = {in};
  void *outputs[] = {out};
  /* A caller-owned arena from the header's size, as an embedded product
   * would use a static buffer; NULL would make the call malloc one. */
  void *scratch =
      aligned_alloc(64, (UPPER_NAME(_SCRATCH_BYTES) + 63) / 64 * 64);
  int rc =
      CAT(MODEL, _forward)(NULL, NULL, NULL, inputs, outputs, scratch, NULL);
  if (rc != 0) {
    fprintf(stderr, "forward failed: %d\n", rc);
    return 1;
  }
  /* A NULL buffer is an error code, never a crash. */
  if (CAT(MODEL, _forward)(NULL, NULL, NULL, NULL, outputs, scratch, NULL) !=
      LATHE_ENTRY_MISSING_POINTER) {
    fprintf(stderr, "forward accepted NULL inputs\n");
    return 1;
  }
  f = fopen(argv[2], "wb");
  if (!f || fwrite(out, sizeof(float), out_count, f) != out_count) {
    fprintf(stderr, "cannot write %s\n", argv[2]);
    return 1;
  }
  fclose(f);
  /* Without a scratch buffer the call takes one from the environment's
   * allocator, and with a thread pool it splits its parallel loops: the
   * same numbers either way. */
  lathe_env_t env = {sizeof(lathe_env_t), two_thread_for, NULL,
                     counting_alloc,      counting_free,  &allocations};
  float *again = malloc(out_count * sizeof(float));
  void *outputs2[] = {again};
  if (CAT(MODEL, _forward)(NULL, NULL, NULL, inputs, outputs2, NULL, &env) !=
      0) {
    fprintf(stderr, "forward without scratch, with threads failed\n");
    return 1;
  }
  for (size_t i = 0; i < out_count; ++i)
    if (again[i] != out[i]) {
      fprintf(stderr, "output %zu differs without scratch / with threads\n", i);
      return 1;
    }
  if (allocations.live != 0 || allocations.calls != 1) {
    fprintf(stderr, "the arena came from env->alloc %d times, %d not freed\n",
            allocations.calls, allocations.live);
    return 1;
  }
  /* An environment of an older, smaller layout than the entry needs is
   * refused with a code; one that ends before the allocator fields still
   * runs (malloc's arena). */
  lathe_env_t tiny = {sizeof(size_t), NULL, NULL, NULL, NULL, NULL};
  if (CAT(MODEL, _forward)(NULL, NULL, NULL, inputs, outputs2, scratch,
                           &tiny) != LATHE_ENTRY_BAD_ENV) {
    fprintf(stderr, "forward accepted an environment too small\n");
    return 1;
  }
  lathe_env_t old = {LATHE_ENV_MIN_SIZE, two_thread_for, NULL,
                     counting_alloc,     counting_free,  &allocations};
  if (CAT(MODEL, _forward)(NULL, NULL, NULL, inputs, outputs2, NULL, &old) !=
          0 ||
      allocations.calls != 1) {
    fprintf(stderr, "forward read fields past struct_size\n");
    return 1;
  }
  free(again);
  free(scratch);
  free(in);
  free(out);
  return 0;
}
