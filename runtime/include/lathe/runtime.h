/* lathe/runtime.h: the C API that loads, describes and runs Lathe artifacts.
 *
 * Conventions: handles are opaque; every fallible call returns a
 * lathe_status_t and, on failure, leaves a message in its context
 * (lathe_context_last_error). Outputs come last with an out_ prefix. No call
 * keeps global mutable state: distinct contexts may be used from distinct
 * threads at the same time; one context is used by one thread at a time.
 * A module is immutable once loaded and may be shared by several contexts. */
#ifndef LATHE_RUNTIME_H
#define LATHE_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "lathe/abi.h" /* lathe_dtype_t, lathe_env_t: the artifact ABI */

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define LATHE_API __attribute__((visibility("default")))
#else
#define LATHE_API
#endif

typedef enum lathe_status {
  LATHE_OK = 0,
  LATHE_INVALID_ARGUMENT = 1, /* wrong shape, dtype, count, name or NULL */
  LATHE_NOT_FOUND = 2,        /* a file or an entry point does not exist */
  LATHE_IO_ERROR = 3,         /* a file could not be read or written */
  LATHE_INCOMPATIBLE = 4,     /* not a Lathe artifact, or a newer format */
  LATHE_OUT_OF_MEMORY = 5,
  LATHE_INTERNAL = 6, /* the generated code reported a failure */
} lathe_status_t;

typedef struct lathe_context lathe_context_t;
typedef struct lathe_module lathe_module_t;
typedef struct lathe_tensor lathe_tensor_t;

/* A tensor's description. |name| and |dims| are owned by the object that
 * filled it in and live as long as that object. */
typedef struct lathe_tensor_info {
  const char *name;
  lathe_dtype_t dtype;
  size_t rank;
  const int64_t *dims;
} lathe_tensor_info_t;

typedef struct lathe_context_options {
  size_t struct_size; /* sizeof(lathe_context_options_t); set by _init */
  int num_threads;    /* threads a call may use, the caller's included;
                         0 (default): one per online CPU */
} lathe_context_options_t;

/* Fills |options| with the defaults. Thread-safe. */
LATHE_API void lathe_context_options_init(lathe_context_options_t *options);

/* Creates a context; |options| may be NULL for the defaults. On LATHE_OK
 * *out_context is owned by the caller (lathe_context_destroy). Thread-safe. */
LATHE_API lathe_status_t lathe_context_create(
    const lathe_context_options_t *options, lathe_context_t **out_context);

/* The number of threads calls on |context| use. Thread-safe. */
LATHE_API int lathe_context_num_threads(const lathe_context_t *context);

/* The context's call environment (lathe/abi.h: its thread pool as the
 * parallel-for callback; parallel_for NULL when the context uses one
 * thread), for calling an artifact's entry points directly. Owned by the
 * context. Not thread-safe for |context|. */
LATHE_API const lathe_env_t *lathe_context_env(lathe_context_t *context);

/* Data-parallel training: entry points run on |context| average their
 * gradients across the replicas through |allreduce| (lathe/abi.h: it
 * replaces |count| elements at |data| with their mean across the replicas,
 * in place, returning 0 on success), called with |comm|, in builds
 * compiled with --data-parallel. NULL |allreduce|: one replica (the
 * default). A step whose all-reduce fails returns LATHE_INTERNAL naming it
 * and leaves the parameters and optimizer state as they were. Not
 * thread-safe for |context|. */
LATHE_API lathe_status_t lathe_context_set_allreduce(
    lathe_context_t *context,
    int32_t (*allreduce)(void *comm, void *data, int64_t count,
                         lathe_dtype_t dtype),
    void *comm);

/* Destroys |context| (NULL is ignored). Not thread-safe for |context|. */
LATHE_API void lathe_context_destroy(lathe_context_t *context);

/* The message of the last failed call on |context| ("" if none). The string
 * is owned by the context and valid until its next call. */
LATHE_API const char *lathe_context_last_error(const lathe_context_t *context);

/* Records |message| as |context|'s last error and returns |status|: for
 * libraries layered on this API (such as lathe/training.h) that report
 * through the caller's context. Not thread-safe for |context|. */
LATHE_API lathe_status_t lathe_context_set_error(lathe_context_t *context,
                                                 lathe_status_t status,
                                                 const char *message);

/* Name of |status| ("LATHE_OK", ...). Static storage. Thread-safe. */
LATHE_API const char *lathe_status_name(lathe_status_t status);

/* Name of |dtype| ("f32", ...). Static storage. Thread-safe. */
LATHE_API const char *lathe_dtype_name(lathe_dtype_t dtype);

/* Size in bytes of one element of |dtype|. Thread-safe. */
LATHE_API size_t lathe_dtype_size(lathe_dtype_t dtype);

/* Loads the shared-object artifact at |path| (and its weights side file,
 * checked for size and checksum, when the artifact uses one). Its
 * descriptor is read from the file first: a file that is not an artifact,
 * or one compiled for CPU features this CPU lacks (LATHE_INCOMPATIBLE,
 * naming them), is refused before any of its code runs. On LATHE_OK
 * *out_module is owned by the caller (lathe_module_destroy). */
LATHE_API lathe_status_t lathe_module_load(lathe_context_t *context,
                                           const char *path,
                                           lathe_module_t **out_module);

/* Opens the artifact at |path| to describe it, without loading or running
 * any of its code: the descriptor is read from the file (so a foreign
 * library's constructors never run). Every describing call works on the
 * result; running it (lathe_module_run, lathe_trainer_create) fails with
 * LATHE_INVALID_ARGUMENT. Neither the CPU nor a weights side file is
 * checked. Release it with lathe_module_destroy. */
LATHE_API lathe_status_t lathe_module_inspect(lathe_context_t *context,
                                              const char *path,
                                              lathe_module_t **out_module);

/* Unloads |module| (NULL is ignored). No call may be running on it. */
LATHE_API void lathe_module_destroy(lathe_module_t *module);

/* The module's name (its symbol prefix), target triple and CPU, and its
 * whole descriptor text. Owned by the module. Thread-safe. */
LATHE_API const char *lathe_module_name(const lathe_module_t *module);
LATHE_API const char *lathe_module_target(const lathe_module_t *module);
LATHE_API const char *lathe_module_descriptor(const lathe_module_t *module);

/* Counts of inputs, outputs and parameters of the forward entry point.
 * Thread-safe. */
LATHE_API size_t lathe_module_num_inputs(const lathe_module_t *module);
LATHE_API size_t lathe_module_num_outputs(const lathe_module_t *module);
LATHE_API size_t lathe_module_num_params(const lathe_module_t *module);

/* Describes input / output / parameter |index| into *out_info (strings and
 * dims owned by the module). LATHE_INVALID_ARGUMENT if |index| is out of
 * range. Thread-safe. */
LATHE_API lathe_status_t lathe_module_input_info(const lathe_module_t *module,
                                                 size_t index,
                                                 lathe_tensor_info_t *out_info);
LATHE_API lathe_status_t lathe_module_output_info(
    const lathe_module_t *module, size_t index, lathe_tensor_info_t *out_info);
LATHE_API lathe_status_t lathe_module_param_info(const lathe_module_t *module,
                                                 size_t index,
                                                 lathe_tensor_info_t *out_info);

/* Entry points: "forward" always; a training build adds "eval_step"
 * (inputs then targets -> loss then outputs, inference semantics),
 * "train_step" (run only through a trainer) and, on request, "gradient"
 * (-> loss, outputs, then one "grad:<param>" output per trained parameter).
 * Names are owned by the module; NULL / 0 for an unknown entry or index.
 * Thread-safe. */
LATHE_API size_t lathe_module_num_entries(const lathe_module_t *module);
LATHE_API const char *lathe_module_entry_name(const lathe_module_t *module,
                                              size_t index);
LATHE_API size_t lathe_module_entry_num_inputs(const lathe_module_t *module,
                                               const char *entry);
LATHE_API size_t lathe_module_entry_num_outputs(const lathe_module_t *module,
                                                const char *entry);
LATHE_API lathe_status_t
lathe_module_entry_input_info(const lathe_module_t *module, const char *entry,
                              size_t index, lathe_tensor_info_t *out_info);
LATHE_API lathe_status_t
lathe_module_entry_output_info(const lathe_module_t *module, const char *entry,
                               size_t index, lathe_tensor_info_t *out_info);
/* A training build's criterion (its --loss: "cross_entropy", "mse", ...,
 * "output:NAME"), and in *out_ignore_index (may be NULL) the target value
 * a class criterion ignores; "" for an inference build. Owned by the
 * module. Thread-safe. */
LATHE_API const char *lathe_module_criterion(const lathe_module_t *module,
                                             int64_t *out_ignore_index);
/* The optimizer-state tensors of a training build ("<param>.<buffer>"). */
LATHE_API size_t lathe_module_num_state(const lathe_module_t *module);
LATHE_API lathe_status_t lathe_module_state_info(const lathe_module_t *module,
                                                 size_t index,
                                                 lathe_tensor_info_t *out_info);

/* Runs entry point |entry| ("forward", "eval_step", "gradient") of |module|
 * with its own weights. Inputs are borrowed and
 * must match the module's input dtypes and shapes in order. On LATHE_OK each
 * out_outputs[i] is a new tensor owned by the caller. A model's dropouts
 * drop in "gradient" only, with the masks of step 1. Thread-safe for
 * distinct contexts. */
LATHE_API lathe_status_t lathe_module_run(
    lathe_context_t *context, const lathe_module_t *module, const char *entry,
    lathe_tensor_t *const *inputs, size_t num_inputs,
    lathe_tensor_t **out_outputs, size_t num_outputs);

/* A trainer: the mutable parameters (initialized from the module's
 * weights) and optimizer state (initialized as the descriptor says) of a
 * training build, and its step count. One trainer is used by one thread at
 * a time. On LATHE_OK *out_trainer is owned by the caller
 * (lathe_trainer_destroy); |module| must outlive it. */
typedef struct lathe_trainer lathe_trainer_t;
LATHE_API lathe_status_t lathe_trainer_create(lathe_context_t *context,
                                              const lathe_module_t *module,
                                              lathe_trainer_t **out_trainer);
LATHE_API void lathe_trainer_destroy(lathe_trainer_t *trainer);

/* One optimizer step on a batch (train_step's inputs: the model's inputs,
 * then the target) at learning rate |lr|; the step count advances first
 * (the first step is 1). On LATHE_OK out_outputs[i] are new tensors owned
 * by the caller: the loss, then the model's outputs. */
LATHE_API lathe_status_t lathe_trainer_step(lathe_context_t *context,
                                            lathe_trainer_t *trainer, double lr,
                                            lathe_tensor_t *const *inputs,
                                            size_t num_inputs,
                                            lathe_tensor_t **out_outputs,
                                            size_t num_outputs);

/* As lathe_trainer_step, with the train_step of |module|: another build of
 * the trainer's model and optimizer (the same parameters and state), for
 * another batch size, such as an epoch's last partial batch.
 * LATHE_INCOMPATIBLE when the parameters or state differ. */
LATHE_API lathe_status_t lathe_trainer_step_module(
    lathe_context_t *context, lathe_trainer_t *trainer,
    const lathe_module_t *module, double lr, lathe_tensor_t *const *inputs,
    size_t num_inputs, lathe_tensor_t **out_outputs, size_t num_outputs);

/* Runs another entry point ("forward", "eval_step", "gradient") on the
 * trainer's current parameters, as lathe_module_run; "gradient" draws the
 * dropout masks of the trainer's next step. */
LATHE_API lathe_status_t lathe_trainer_run(
    lathe_context_t *context, const lathe_trainer_t *trainer, const char *entry,
    lathe_tensor_t *const *inputs, size_t num_inputs,
    lathe_tensor_t **out_outputs, size_t num_outputs);

/* Sets hyperparameter |name| of the trainer's steps beyond lr and step,
 * such as "momentum" in a build compiled with --momentum-hyper (SGD and
 * RMSprop's momentum, Adam's, AdamW's, Adamax's and SparseAdam's beta1),
 * which a momentum cycling schedule changes every step. It holds until set
 * again; a step whose entry takes a hyperparameter never set fails with
 * LATHE_INVALID_ARGUMENT, and so does a |name| that no entry of the
 * trainer's module takes (or "lr" and "step"). */
LATHE_API lathe_status_t lathe_trainer_set_hyper(lathe_context_t *context,
                                                 lathe_trainer_t *trainer,
                                                 const char *name,
                                                 double value);

/* The module the trainer was created for (NULL for a NULL trainer). */
LATHE_API const lathe_module_t *
lathe_trainer_module(const lathe_trainer_t *trainer);

/* Steps taken so far (what the next step's number follows). */
LATHE_API int64_t lathe_trainer_steps(const lathe_trainer_t *trainer);

/* The current value of parameter |index| (the module's param order), as a
 * borrowed tensor valid until the trainer's next call; NULL if out of
 * range. */
LATHE_API const lathe_tensor_t *
lathe_trainer_param(const lathe_trainer_t *trainer, size_t index);

/* The current value of optimizer-state tensor |index| (the module's state
 * order, lathe_module_state_info: "<param>.<buffer>", such as ASGD's
 * "<param>.ax"), as a borrowed tensor valid until the trainer's next call;
 * NULL if out of range. */
LATHE_API const lathe_tensor_t *
lathe_trainer_state(const lathe_trainer_t *trainer, size_t index);

/* Writes a checkpoint: a safetensors file holding every parameter and
 * optimizer-state tensor, with metadata (the step count, a checksum of the
 * data, and the |num_metadata| key/value pairs given), through a temporary
 * file, fsync and rename, so that an existing checkpoint is replaced only
 * by a complete one. */
LATHE_API lathe_status_t lathe_trainer_save(lathe_context_t *context,
                                            const lathe_trainer_t *trainer,
                                            const char *path,
                                            const char *const *metadata_keys,
                                            const char *const *metadata_values,
                                            size_t num_metadata);

/* Restores a checkpoint written by lathe_trainer_save for the same model
 * and optimizer. A truncated, corrupted or mismatched file is refused
 * (LATHE_INCOMPATIBLE or LATHE_IO_ERROR, with the reason) and leaves the
 * trainer unchanged. */
LATHE_API lathe_status_t lathe_trainer_load(lathe_context_t *context,
                                            lathe_trainer_t *trainer,
                                            const char *path);

/* The value of metadata |key| of the checkpoint last loaded ("" if none).
 * Owned by the trainer; valid until its next load. */
LATHE_API const char *lathe_trainer_metadata(const lathe_trainer_t *trainer,
                                             const char *key);

/* Creates a zero-filled tensor owning its 64-byte aligned storage. On
 * LATHE_OK *out_tensor is owned by the caller (lathe_tensor_destroy). */
LATHE_API lathe_status_t lathe_tensor_create(lathe_context_t *context,
                                             lathe_dtype_t dtype, size_t rank,
                                             const int64_t *dims,
                                             lathe_tensor_t **out_tensor);

/* Creates a tensor over caller-owned |data|, which must outlive it (and may
 * be NULL for a tensor with no elements). On LATHE_OK *out_tensor is owned
 * by the caller; destroying it leaves |data| alone. */
LATHE_API lathe_status_t lathe_tensor_wrap(lathe_context_t *context,
                                           lathe_dtype_t dtype, size_t rank,
                                           const int64_t *dims, void *data,
                                           lathe_tensor_t **out_tensor);

/* Destroys |tensor| (NULL is ignored). */
LATHE_API void lathe_tensor_destroy(lathe_tensor_t *tensor);

/* The tensor's data, description (name "" ) and size in bytes. Owned by the
 * tensor. Thread-safe for reading. */
LATHE_API void *lathe_tensor_data(const lathe_tensor_t *tensor);
LATHE_API void lathe_tensor_info(const lathe_tensor_t *tensor,
                                 lathe_tensor_info_t *out_info);
LATHE_API size_t lathe_tensor_num_bytes(const lathe_tensor_t *tensor);

/* Reads a NumPy .npy file (little-endian f4/f8/i4/i8/i1/u1/b1, C order,
 * format versions 1-3). On LATHE_OK *out_tensor is owned by the caller. */
LATHE_API lathe_status_t lathe_tensor_load_npy(lathe_context_t *context,
                                               const char *path,
                                               lathe_tensor_t **out_tensor);

/* Reads the array |name| of a NumPy .npz archive written by numpy.savez
 * (stored members; savez_compressed is refused with a message). */
LATHE_API lathe_status_t lathe_tensor_load_npz(lathe_context_t *context,
                                               const char *path,
                                               const char *name,
                                               lathe_tensor_t **out_tensor);

/* Reads an MNIST-style IDX file (magic 0 0 type rank, big-endian u32
 * dimensions, big-endian data; types u8, i8, i16 (as i32), i32, f32, f64).
 * On LATHE_OK *out_tensor is owned by the caller. */
LATHE_API lathe_status_t lathe_tensor_load_idx(lathe_context_t *context,
                                               const char *path,
                                               lathe_tensor_t **out_tensor);

/* Writes |tensor| as a version-1 .npy file, atomically (temporary file then
 * rename): an existing file is replaced only by a complete one. */
LATHE_API lathe_status_t lathe_tensor_save_npy(lathe_context_t *context,
                                               const lathe_tensor_t *tensor,
                                               const char *path);

/* A safetensors file read whole: what PyTorch's
 * safetensors.torch.save_file writes (a state dict), Lathe's checkpoints and
 * the C++ DSL's state dicts. Its tensors keep the file's order. */
typedef struct lathe_tensor_file lathe_tensor_file_t;

/* Reads |path|, checking every tensor's dtype, shape and data offsets. A
 * missing file is LATHE_NOT_FOUND, a malformed one LATHE_INCOMPATIBLE, both
 * with a message naming the path (and the tensor at fault). On LATHE_OK
 * *out_file is owned by the caller (lathe_tensor_file_destroy). */
LATHE_API lathe_status_t lathe_safetensors_load(lathe_context_t *context,
                                                const char *path,
                                                lathe_tensor_file_t **out_file);

/* The number of tensors, the name and value of tensor |index| (NULL if out
 * of range; each value in its own 64-byte aligned storage), and the value
 * of metadata |key| ("" if absent). Owned by the file. */
LATHE_API size_t lathe_tensor_file_count(const lathe_tensor_file_t *file);
LATHE_API const char *lathe_tensor_file_name(const lathe_tensor_file_t *file,
                                             size_t index);
LATHE_API const lathe_tensor_t *
lathe_tensor_file_tensor(const lathe_tensor_file_t *file, size_t index);
LATHE_API const char *
lathe_tensor_file_metadata(const lathe_tensor_file_t *file, const char *key);

/* Destroys |file| and its tensors (NULL is ignored). */
LATHE_API void lathe_tensor_file_destroy(lathe_tensor_file_t *file);

/* Writes |count| tensors named |names| (unique, non-empty) and
 * |num_metadata| string pairs as a safetensors file, atomically (temporary
 * file, fsync, rename): an existing file is replaced only by a complete
 * one. */
LATHE_API lathe_status_t lathe_safetensors_save(
    lathe_context_t *context, const char *path, size_t count,
    const char *const *names, const lathe_tensor_t *const *tensors,
    size_t num_metadata, const char *const *metadata_keys,
    const char *const *metadata_values);

#ifdef __cplusplus
}
#endif

#endif /* LATHE_RUNTIME_H */
