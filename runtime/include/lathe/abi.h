/* lathe/abi.h: the artifact ABI, version 3 — what generated code and its
 * callers share. Plain C, no dependencies beyond <stddef.h> and <stdint.h>:
 * the runtime includes it (through lathe/runtime.h), and every generated
 * header carries this text verbatim, so that a program embedding an
 * artifact needs nothing else.
 *
 * Every entry point of an artifact named P has one signature:
 *
 *   int32_t P_<entry>(void *params, void *state, const double *hyper,
 *                     void *const *inputs, void *const *outputs,
 *                     void *scratch, const lathe_env_t *env);
 *
 * and a kind stated in the descriptor (`entry <name> <kind>`):
 *   infer     forward: params read (NULL: the embedded weights); state and
 *             hyper unused (NULL)
 *   evaluate  eval_step: as infer, with the loss among the outputs
 *   gradient  gradient: as infer; hyper[0] is the 1-based step whose
 *             dropout masks it draws when the descriptor lists `hyper`
 *   update    train_step: params and state updated in place; hyper as the
 *             descriptor's `hyper` records list them (lr, step, ...)
 * Return codes: LATHE_ENTRY_OK, or one of the others below. */
#ifndef LATHE_ABI_H
#define LATHE_ABI_H

#include <stddef.h>
#include <stdint.h>

#define LATHE_ABI_VERSION 3

/* Element types, in the order of the descriptor's dtype names (f32 f64
 * i32 i64 i8 u8 bool i16 u16 u32 u64 f16 bf16). */
typedef enum lathe_dtype {
  LATHE_F32 = 0,
  LATHE_F64 = 1,
  LATHE_I32 = 2,
  LATHE_I64 = 3,
  LATHE_I8 = 4,
  LATHE_U8 = 5,
  LATHE_BOOL = 6,
  LATHE_I16 = 7,
  LATHE_U16 = 8,
  LATHE_U32 = 9,
  LATHE_U64 = 10,
  LATHE_F16 = 11,  /* IEEE 754 binary16 */
  LATHE_BF16 = 12, /* bfloat16: the upper half of an f32 */
} lathe_dtype_t;

/* A parallel task: runs iterations [begin, end) of a loop. */
typedef void (*lathe_task_fn)(void *closure, int64_t begin, int64_t end);

/* The call environment every entry point takes. NULL means: run on the
 * calling thread and malloc the scratch arena when the call has none.
 * |struct_size| is sizeof(lathe_env_t) as the caller compiled it; a field
 * past it is absent (as if NULL), so that later versions can add fields
 * without breaking either side. */
typedef struct lathe_env {
  size_t struct_size;
  /* Runs task(closure, begin, end) over disjoint ranges covering [0, n)
   * and returns when all have finished. NULL: every loop runs serially. */
  void (*parallel_for)(void *pool, int64_t n, lathe_task_fn task,
                       void *closure);
  void *pool;
  /* The scratch arena of a call whose |scratch| is NULL: alloc(allocator,
   * size, alignment) and free(allocator, pointer). NULL: malloc / free. */
  void *(*alloc)(void *allocator, size_t size, size_t alignment);
  void (*free)(void *allocator, void *pointer);
  void *allocator;
  /* The device and stream of a device target (NULL for the CPU target). */
  void *device;
  void *stream;
  /* The gradient all-reduce of data-parallel training: replaces the
   * |count| elements of |dtype| at |data| with their mean across the
   * replicas, in place, and returns 0 on success (non-zero: the entry
   * point returns LATHE_ENTRY_COLLECTIVE_FAILED and changes nothing the
   * caller holds). A build compiled with --data-parallel calls it once per
   * parameter gradient, in the order the backward pass produces them (the
   * same on every replica). NULL: one replica. */
  int32_t (*allreduce)(void *comm, void *data, int64_t count,
                       lathe_dtype_t dtype);
  void *comm;
} lathe_env_t;

/* The smallest |struct_size| an entry point accepts: the parallel-for
 * callback and its pool. */
#define LATHE_ENV_MIN_SIZE (3 * sizeof(void *))

/* An entry point, whatever its kind. */
typedef int32_t (*lathe_entry_fn)(void *params, void *state,
                                  const double *hyper, void *const *inputs,
                                  void *const *outputs, void *scratch,
                                  const lathe_env_t *env);

/* Entry point return codes. */
enum {
  LATHE_ENTRY_OK = 0,
  LATHE_ENTRY_MISSING_POINTER = 1,   /* a pointer the entry reads is NULL */
  LATHE_ENTRY_NO_MEMORY = 2,         /* the scratch arena could not be had */
  LATHE_ENTRY_BAD_ENV = 3,           /* env->struct_size is too small */
  LATHE_ENTRY_COLLECTIVE_FAILED = 4, /* env->allreduce returned non-zero */
};

#endif /* LATHE_ABI_H */
