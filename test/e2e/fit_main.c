/* A whole training run through the training library's C API
 * (lathe/training.h): the digits LeNet, compiled by `lathe compile --train`,
 * trained on the shipped digits and validated every epoch.
 *
 *   fit_main MODEL.so TRAIN.npz VAL.npz WORK_DIR MIN_VAL_ACC
 *
 * Checks, each printed as "ok: ..." or "FAIL: ...":
 *   - the option table lists the loop's options with defaults and help;
 *   - an unknown option, a value of the wrong type and one that fails its
 *     check are refused with a message naming the option;
 *   - the run reports every step and every epoch, in order, and its final
 *     validation accuracy reaches MIN_VAL_ACC percent;
 *   - a run stopped by a callback after 40 steps and resumed from its
 *     checkpoint ends with the same parameters, bit for bit, as the run
 *     that was never stopped;
 *   - with DP.so (the same model compiled with --data-parallel for half
 *     the batch): two replicas on two threads, each with its own context
 *     whose all-reduce hook is this program's (a mean through shared
 *     memory), train their shards to the same parameters, bit for bit, and
 *     reach MIN_VAL_ACC; a hook that fails stops the step with an error
 *     naming the all-reduce and leaves the parameters as they were.
 * Exits 0 only when every check passes. */
#include "lathe/training.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

static void check(int ok, const char *what, const char *detail) {
  /* The detail (what was measured, or the last error) when it failed. */
  printf("%s: %s%s%s\n", ok ? "ok" : "FAIL", what, detail && !ok ? " -- " : "",
         detail && !ok ? detail : "");
  failures += !ok;
}

typedef struct Progress {
  int64_t steps, epochs, last_step, stop_after;
  int in_order;
  double val_accuracy;
} Progress;

static int on_step(void *user, const lathe_fit_step_report_t *r) {
  Progress *p = (Progress *)user;
  p->in_order &=
      r->step == p->last_step + 1 && r->batch < r->batches && isfinite(r->loss);
  p->last_step = r->step;
  ++p->steps;
  return p->stop_after > 0 && p->steps >= p->stop_after;
}

static int on_epoch(void *user, const lathe_fit_epoch_report_t *r) {
  Progress *p = (Progress *)user;
  p->in_order &= r->epoch == p->epochs;
  ++p->epochs;
  p->val_accuracy = r->val_accuracy;
  printf("epoch %lld/%lld  loss %.4f  val_loss %.4f  val_acc %.2f%%\n",
         (long long)r->epoch + 1, (long long)r->epochs, r->train_loss,
         r->val_loss, r->val_accuracy);
  return 0;
}

/* Sets |name| to |value|, failing the program on an error. */
static void set(lathe_context_t *ctx, lathe_fit_options_t *o, const char *name,
                const char *value) {
  if (lathe_fit_options_set(ctx, o, name, value) != LATHE_OK) {
    printf("FAIL: set %s=%s: %s\n", name, value, lathe_context_last_error(ctx));
    exit(1);
  }
}

typedef struct Run {
  lathe_module_t *module;
  lathe_trainer_t *trainer;
  lathe_fit_t *fit;
} Run;

/* A trainer and a fit of |module| over the data, checkpointing into
 * |folder|. */
static Run start(lathe_context_t *ctx, const char *so, const char *folder,
                 lathe_tensor_t **train, lathe_tensor_t **val) {
  Run r = {0};
  lathe_fit_options_t *o = NULL;
  if (lathe_module_load(ctx, so, &r.module) != LATHE_OK ||
      lathe_trainer_create(ctx, r.module, &r.trainer) != LATHE_OK ||
      lathe_fit_options_create(ctx, &o) != LATHE_OK) {
    printf("FAIL: set-up: %s\n", lathe_context_last_error(ctx));
    exit(1);
  }
  set(ctx, o, "epochs", "30");
  set(ctx, o, "batch-size", "32");
  set(ctx, o, "lr", "5e-3");
  set(ctx, o, "lr-schedule", "cosine");
  set(ctx, o, "seed", "1");
  set(ctx, o, "checkpoint", folder);
  if (lathe_fit_create(ctx, r.trainer, o, train, 2, val, 2, &r.fit) !=
      LATHE_OK) {
    printf("FAIL: lathe_fit_create: %s\n", lathe_context_last_error(ctx));
    exit(1);
  }
  lathe_fit_options_destroy(o);
  return r;
}

static void finish(Run *r) {
  lathe_fit_destroy(r->fit);
  lathe_trainer_destroy(r->trainer);
  lathe_module_destroy(r->module);
}

/* Whether every parameter of |a| and |b| has the same bytes. */
static int same_params(const Run *a, const Run *b) {
  size_t n = lathe_module_num_params(a->module);
  for (size_t i = 0; i < n; ++i) {
    const lathe_tensor_t *x = lathe_trainer_param(a->trainer, i);
    const lathe_tensor_t *y = lathe_trainer_param(b->trainer, i);
    if (!x || !y || lathe_tensor_num_bytes(x) != lathe_tensor_num_bytes(y) ||
        memcmp(lathe_tensor_data(x), lathe_tensor_data(y),
               lathe_tensor_num_bytes(x)) != 0)
      return 0;
  }
  return n > 0;
}

/* A user's own all-reduce between two replicas on two threads: each
 * replica's buffer meets the other's in shared memory; both leave with the
 * mean (the same bits on both: (a + b) / 2 either way). */
typedef struct Exchange {
  pthread_barrier_t meet;
  const float *data[2];
  int64_t count[2];
  int calls, fail_at;
} Exchange;

typedef struct Replica {
  Exchange *exchange;
  int rank;
  const char *so, *folder;
  lathe_tensor_t **train, **val;
  lathe_context_t *ctx;
  Run run;
  Progress progress;
  lathe_status_t status;
} Replica;

static int32_t mean_of_two(void *comm, void *data, int64_t count,
                           lathe_dtype_t dtype) {
  Replica *r = (Replica *)comm;
  Exchange *x = r->exchange;
  if (dtype != LATHE_F32)
    return 1;
  x->data[r->rank] = (const float *)data;
  x->count[r->rank] = count;
  pthread_barrier_wait(&x->meet);
  float *mine = (float *)data;
  const float *theirs = x->data[1 - r->rank];
  int ok = x->count[0] == x->count[1];
  float *mean = malloc((size_t)count * sizeof(float));
  for (int64_t i = 0; ok && i < count; ++i)
    mean[i] = (mine[i] + theirs[i]) / 2;
  int fail = 0;
  if (r->rank == 0)
    fail = ++x->calls == x->fail_at;
  pthread_barrier_wait(&x->meet); /* Both have read both. */
  if (ok)
    memcpy(mine, mean, (size_t)count * sizeof(float));
  free(mean);
  fail = fail || (x->fail_at > 0 && x->calls == x->fail_at);
  pthread_barrier_wait(&x->meet); /* Both have written. */
  return !ok || fail;
}

static void *replica_main(void *arg) {
  Replica *r = (Replica *)arg;
  lathe_context_create(NULL, &r->ctx);
  lathe_context_set_allreduce(r->ctx, mean_of_two, r);
  r->run = start(r->ctx, r->so, r->folder, r->train, r->val);
  r->status = lathe_fit_set_replica(r->ctx, r->run.fit, r->rank, 2);
  lathe_fit_callbacks_t cb = {sizeof cb, on_step, NULL, &r->progress};
  lathe_fit_end_t end;
  if (r->status == LATHE_OK)
    r->status = lathe_fit_run(r->ctx, r->run.fit, &cb, &end);
  return NULL;
}

/* Two replicas of DP.so on two threads, the hook failing at its
 * |fail_at|-th call (0: never); returns rank 0's. */
static void two_replicas(const char *dp, const char *work, int fail_at,
                         lathe_tensor_t **train, lathe_tensor_t **val,
                         Replica out[2]) {
  static Exchange x;
  memset(&x, 0, sizeof x);
  x.fail_at = fail_at;
  pthread_barrier_init(&x.meet, NULL, 2);
  static char folders[2][1024];
  pthread_t threads[2];
  for (int i = 0; i < 2; ++i) {
    snprintf(folders[i], sizeof folders[i], "%s/replica%d-%d", work, i,
             fail_at);
    Replica init = {&x,  i,    dp,  folders[i],           train,
                    val, NULL, {0}, {0, 0, 0, 0, 1, NAN}, LATHE_OK};
    out[i] = init;
  }
  for (int i = 0; i < 2; ++i)
    pthread_create(&threads[i], NULL, replica_main, &out[i]);
  for (int i = 0; i < 2; ++i)
    pthread_join(threads[i], NULL);
  pthread_barrier_destroy(&x.meet);
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: fit_main MODEL.so TRAIN.npz VAL.npz WORK "
                    "MIN_VAL_ACC DP.so\n");
    return 2;
  }
  const char *so = argv[1], *work = argv[4];
  double min_acc = atof(argv[5]);
  lathe_context_t *ctx = NULL;
  if (lathe_context_create(NULL, &ctx) != LATHE_OK)
    return 1;

  /* The option table. */
  size_t n = lathe_fit_num_options();
  int named = n > 20, epochs_default = 0;
  for (size_t i = 0; i < n; ++i) {
    named &= lathe_fit_option_name(i) && *lathe_fit_option_help(i) &&
             lathe_fit_option_default(i) != NULL;
    if (strcmp(lathe_fit_option_name(i), "epochs") == 0)
      epochs_default = strcmp(lathe_fit_option_default(i), "10") == 0;
  }
  check(named && epochs_default && lathe_fit_option_name(n) == NULL,
        "the option table names every option with its default and help", NULL);

  /* Refusals. */
  lathe_fit_options_t *o = NULL;
  lathe_fit_options_create(ctx, &o);
  struct {
    const char *name, *value, *needle;
  } bad[] = {{"epoch", "3", "no training loop option 'epoch'"},
             {"epochs", "three", "'three' is not an integer"},
             {"epochs", "0", "must be positive"},
             {"val-split", "0.95", "must be in [0, 0.9]"},
             {"lr-schedule", "linearly", "must be one of"},
             {"shuffle", "maybe", "'maybe' is not true or false"}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
    lathe_status_t s = lathe_fit_options_set(ctx, o, bad[i].name, bad[i].value);
    char what[128];
    snprintf(what, sizeof what, "%s=%s is refused", bad[i].name, bad[i].value);
    check(s == LATHE_INVALID_ARGUMENT &&
              strstr(lathe_context_last_error(ctx), bad[i].needle),
          what, lathe_context_last_error(ctx));
  }
  lathe_fit_options_destroy(o);

  lathe_tensor_t *train[2] = {NULL, NULL}, *val[2] = {NULL, NULL};
  if (lathe_tensor_load_npz(ctx, argv[2], "x", &train[0]) != LATHE_OK ||
      lathe_tensor_load_npz(ctx, argv[2], "target", &train[1]) != LATHE_OK ||
      lathe_tensor_load_npz(ctx, argv[3], "x", &val[0]) != LATHE_OK ||
      lathe_tensor_load_npz(ctx, argv[3], "target", &val[1]) != LATHE_OK) {
    printf("FAIL: data: %s\n", lathe_context_last_error(ctx));
    return 1;
  }

  /* The whole run. */
  char whole[1024], parted[1024];
  snprintf(whole, sizeof whole, "%s/whole", work);
  snprintf(parted, sizeof parted, "%s/parted", work);
  Run a = start(ctx, so, whole, train, val);
  Progress p = {0, 0, 0, 0, 1, NAN};
  lathe_fit_callbacks_t cb = {sizeof cb, on_step, on_epoch, &p};
  lathe_fit_end_t end = LATHE_FIT_STOPPED;
  lathe_status_t s = lathe_fit_run(ctx, a.fit, &cb, &end);
  check(s == LATHE_OK && end == LATHE_FIT_FINISHED, "the run finishes",
        lathe_context_last_error(ctx));
  int64_t per_epoch = lathe_fit_train_samples(a.fit) / 32;
  char detail[256];
  snprintf(detail, sizeof detail, "%lld steps, %lld epochs", (long long)p.steps,
           (long long)p.epochs);
  check(p.in_order && p.epochs == 30 && p.steps == 30 * per_epoch &&
            lathe_trainer_steps(a.trainer) == p.steps,
        "every step and epoch is reported, in order", detail);
  snprintf(detail, sizeof detail, "%.2f%% (at least %.2f%%)", p.val_accuracy,
           min_acc);
  check(p.val_accuracy >= min_acc, "the digits validation accuracy", detail);

  /* Stopped after 40 steps by the callback, then resumed. */
  Run b = start(ctx, so, parted, train, val);
  Progress q = {0, 0, 0, 40, 1, NAN};
  lathe_fit_callbacks_t cbq = {sizeof cbq, on_step, NULL, &q};
  s = lathe_fit_run(ctx, b.fit, &cbq, &end);
  check(s == LATHE_OK && end == LATHE_FIT_STOPPED && q.steps == 40,
        "a callback stops the run", lathe_context_last_error(ctx));
  finish(&b);
  Run c = start(ctx, so, parted, train, val);
  int64_t epoch = -1, batch = -1;
  s = lathe_fit_resume(ctx, c.fit, parted, &epoch, &batch);
  snprintf(detail, sizeof detail, "epoch %lld, batch %lld, step %lld: %s",
           (long long)epoch, (long long)batch,
           (long long)lathe_trainer_steps(c.trainer),
           lathe_context_last_error(ctx));
  check(s == LATHE_OK && epoch * per_epoch + batch == 40 &&
            lathe_trainer_steps(c.trainer) == 40,
        "the resumed run goes on after step 40", detail);
  Progress r = {0, 0, 40, 0, 1, NAN};
  lathe_fit_callbacks_t cbr = {sizeof cbr, on_step, NULL, &r};
  s = lathe_fit_run(ctx, c.fit, &cbr, &end);
  check(s == LATHE_OK && end == LATHE_FIT_FINISHED && same_params(&a, &c),
        "stopped and resumed, the run ends with the same parameters, bit "
        "for bit",
        lathe_context_last_error(ctx));
  /* Data-parallel through the C API, with this program's all-reduce. */
  Replica reps[2];
  two_replicas(argv[6], work, 0, train, val, reps);
  check(reps[0].status == LATHE_OK && reps[1].status == LATHE_OK &&
            same_params(&reps[0].run, &reps[1].run),
        "two replicas with the caller's all-reduce end with the same "
        "parameters, bit for bit",
        reps[0].status ? lathe_context_last_error(reps[0].ctx)
                       : lathe_context_last_error(reps[1].ctx));
  int64_t all = lathe_fit_train_samples(a.fit);
  snprintf(detail, sizeof detail, "%lld samples per replica of %lld",
           (long long)lathe_fit_train_samples(reps[0].run.fit), (long long)all);
  check(lathe_fit_train_samples(reps[0].run.fit) == (all + 1) / 2 &&
            reps[0].progress.steps == 30 * ((all + 1) / 2 / 32),
        "each replica trains on its half of the data", detail);
  for (int i = 0; i < 2; ++i) {
    finish(&reps[i].run);
    lathe_context_destroy(reps[i].ctx);
  }
  /* The hook fails at its 5th call (the first step's 5th gradient). */
  two_replicas(argv[6], work, 5, train, val, reps);
  const char *e = lathe_context_last_error(reps[0].ctx);
  check(reps[0].status != LATHE_OK && strstr(e, "all-reduce") &&
            lathe_trainer_steps(reps[0].run.trainer) == 0,
        "a failing all-reduce stops the step, naming it, before it counts", e);
  for (int i = 0; i < 2; ++i) {
    finish(&reps[i].run);
    lathe_context_destroy(reps[i].ctx);
  }

  finish(&c);
  finish(&a);

  for (int i = 0; i < 2; ++i) {
    lathe_tensor_destroy(train[i]);
    lathe_tensor_destroy(val[i]);
  }
  lathe_context_destroy(ctx);
  printf("%d failed\n", failures);
  return failures ? 1 : 0;
}
