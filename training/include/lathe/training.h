/* lathe/training.h: the training library's C API. A "fit" trains a trainer
 * (lathe/runtime.h) over a data set: batching, shuffling, the validation
 * split, learning-rate schedules (momentum cycling included), validation,
 * ReduceLROnPlateau, checkpoints after every epoch and exact resumption.
 * Logging, progress and signal handling are the caller's, through
 * callbacks. `lathe train` is a command line over this library; the C++
 * API is training/Loop.h.
 *
 * Conventions are the runtime's: fallible calls return a lathe_status_t and
 * leave their message in the context; one fit is used by one thread at a
 * time. */
#ifndef LATHE_TRAINING_H
#define LATHE_TRAINING_H

#include "lathe/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The loop's options, set by name. */
typedef struct lathe_fit_options lathe_fit_options_t;

/* Creates options holding every default. On LATHE_OK *out_options is owned
 * by the caller (lathe_fit_options_destroy). */
LATHE_API lathe_status_t lathe_fit_options_create(
    lathe_context_t *context, lathe_fit_options_t **out_options);
LATHE_API void lathe_fit_options_destroy(lathe_fit_options_t *options);

/* Sets option |name| ("epochs", "batch-size", "lr", "lr-schedule", ...:
 * lathe_fit_option_name lists them; docs/training.md describes them) from
 * its text: a number, a name, "true"/"false" for a switch, comma-separated
 * values for a list. LATHE_INVALID_ARGUMENT for an unknown name or a value
 * that is not of its type or fails its check (naming both). */
LATHE_API lathe_status_t lathe_fit_options_set(lathe_context_t *context,
                                               lathe_fit_options_t *options,
                                               const char *name,
                                               const char *value);

/* The option table: how many options there are, and the name, default
 * (as text) and help of option |index| (NULL if out of range). Static
 * storage. Thread-safe. */
LATHE_API size_t lathe_fit_num_options(void);
LATHE_API const char *lathe_fit_option_name(size_t index);
LATHE_API const char *lathe_fit_option_default(size_t index);
LATHE_API const char *lathe_fit_option_help(size_t index);

typedef struct lathe_fit lathe_fit_t;

/* Creates a run of |trainer| over |train|: one array per train_step input
 * of the trainer's module, in order (the model's inputs, then the
 * criterion's: the target, ...), dimension 0 indexing samples. |val|
 * (|num_val| arrays, the same layout; NULL and 0 for none) validates after
 * every epoch; without it the "val-split" fraction of |train| does. Data
 * arrays are converted to the module's element types per batch (integers
 * to floats, ...). The trainer, its module and the arrays are borrowed and
 * must outlive the fit. On LATHE_OK *out_fit is owned by the caller
 * (lathe_fit_destroy). With the "checkpoint" option, its folder is created
 * and abandoned temporary files of killed runs are removed from it. */
LATHE_API lathe_status_t lathe_fit_create(
    lathe_context_t *context, lathe_trainer_t *trainer,
    const lathe_fit_options_t *options, lathe_tensor_t *const *train,
    size_t num_train, lathe_tensor_t *const *val, size_t num_val,
    lathe_fit_t **out_fit);
LATHE_API void lathe_fit_destroy(lathe_fit_t *fit);

/* Data-parallel training with the caller's own transport: this fit is
 * replica |rank| of |world| (each epoch's permutation, the same on every
 * replica, sharded as torch's DistributedSampler; see docs/training.md).
 * Pair it with lathe_context_set_allreduce on |context| and a training
 * build compiled with --data-parallel, and let one replica write the
 * checkpoints (its "checkpoint" option; the others' empty). Call before
 * lathe_fit_tail_samples and lathe_fit_run. */
LATHE_API lathe_status_t lathe_fit_set_replica(lathe_context_t *context,
                                               lathe_fit_t *fit, int rank,
                                               int world);

/* Samples trained and validated on per epoch (this replica's shard), and,
 * with "keep-last", the
 * size of each epoch's last partial batch (0: none). */
LATHE_API int64_t lathe_fit_train_samples(const lathe_fit_t *fit);
LATHE_API int64_t lathe_fit_val_samples(const lathe_fit_t *fit);
LATHE_API int64_t lathe_fit_tail_samples(const lathe_fit_t *fit);

/* With "keep-last" and a partial batch: |module| is another build of the
 * same model and optimizer for lathe_fit_tail_samples samples, whose
 * train_step steps the partial batches. Borrowed. */
LATHE_API lathe_status_t lathe_fit_set_tail_module(
    lathe_context_t *context, lathe_fit_t *fit, const lathe_module_t *module);

/* Adds |key| = |value| to every checkpoint's metadata
 * (lathe_trainer_metadata reads it back after a resume). */
LATHE_API lathe_status_t lathe_fit_set_metadata(lathe_context_t *context,
                                                lathe_fit_t *fit,
                                                const char *key,
                                                const char *value);

/* Continues from the checkpoint in |folder|: the trainer's parameters,
 * optimizer state and step count, the position in the run and the
 * schedule's state. A checkpoint of another seed, or whose parameters or
 * optimizer state differ from the trainer's, is refused, and leaves the
 * trainer as it was; the caller may compare more of its metadata
 * (lathe_trainer_metadata) afterwards. *out_epoch and *out_batch (may be NULL)
 * receive where the run goes on (0-based). */
LATHE_API lathe_status_t lathe_fit_resume(lathe_context_t *context,
                                          lathe_fit_t *fit, const char *folder,
                                          int64_t *out_epoch,
                                          int64_t *out_batch);

/* After each training step. Accuracies are NaN unless the module's
 * criterion classifies (cross_entropy, nll). */
typedef struct lathe_fit_step_report {
  int64_t step;  /* the step's number, from 1 */
  int64_t epoch; /* 0-based */
  int64_t epochs;
  int64_t batch;   /* 0-based within the epoch */
  int64_t batches; /* steps per epoch */
  double lr, loss;
  double mean_loss;   /* over the epoch's steps so far */
  double accuracy;    /* percent, over the epoch's steps so far */
  double ms_per_step; /* mean over the epoch's steps so far */
} lathe_fit_step_report_t;

/* After each epoch and its validation (NaN: not measured). */
typedef struct lathe_fit_epoch_report {
  int64_t epoch; /* 0-based */
  int64_t epochs;
  double lr; /* of the epoch's last step */
  double train_loss, train_accuracy, val_loss, val_accuracy, ms_per_step;
} lathe_fit_epoch_report_t;

/* Either callback may be NULL. A nonzero return stops the run after
 * saving a checkpoint (a signal handler's flag returned from on_step stops
 * at the next step's end). */
typedef struct lathe_fit_callbacks {
  size_t struct_size; /* sizeof(lathe_fit_callbacks_t) */
  int (*on_step)(void *user, const lathe_fit_step_report_t *report);
  int (*on_epoch)(void *user, const lathe_fit_epoch_report_t *report);
  void *user;
} lathe_fit_callbacks_t;

typedef enum lathe_fit_end {
  LATHE_FIT_FINISHED = 0,  /* every epoch ran */
  LATHE_FIT_MAX_STEPS = 1, /* the "max-steps" option stopped it */
  LATHE_FIT_STOPPED = 2,   /* a callback stopped it */
} lathe_fit_end_t;

/* Trains to the last epoch, or until "max-steps" or a callback stops it
 * (*out_end says which; may be NULL). |callbacks| may be NULL. */
LATHE_API lathe_status_t lathe_fit_run(lathe_context_t *context,
                                       lathe_fit_t *fit,
                                       const lathe_fit_callbacks_t *callbacks,
                                       lathe_fit_end_t *out_end);

#ifdef __cplusplus
}
#endif

#endif /* LATHE_TRAINING_H */
