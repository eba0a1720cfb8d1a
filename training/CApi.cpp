// lathe/training.h over the C++ loop (training/Loop.h).
#include "lathe/training.h"
#include "training/Loop.h"

#include <sstream>

using lathe::training::Loop;
using lathe::training::LoopOptions;

struct lathe_fit_options {
  LoopOptions options;
};

struct lathe_fit {
  std::unique_ptr<Loop> loop;
};

namespace {

lathe_status_t nullArgument(lathe_context_t *ctx, const char *call) {
  return lathe_context_set_error(
      ctx, LATHE_INVALID_ARGUMENT,
      (std::string(call) + ": NULL argument").c_str());
}

/// One row of the loop's option table, with its default as text.
struct Row {
  const char *name, *help;
  std::string value;
};

template <typename T> std::string text(const T &v) {
  std::ostringstream os;
  os << std::boolalpha << v;
  return os.str();
}
template <typename T> std::string text(const std::vector<T> &v) {
  std::string s;
  for (const T &e : v)
    s += (s.empty() ? "" : ",") + text(e);
  return s;
}

const std::vector<Row> &rows() {
  static const std::vector<Row> table = [] {
    std::vector<Row> r;
    LoopOptions defaults;
#define LATHE_LOOP_OPTION(field, name, Type, value, check, help)               \
  r.push_back({name, help, text(defaults.field)});
#define LATHE_LOOP_LIST(field, name, Elem, check, help)                        \
  r.push_back({name, help, text(defaults.field)});
#include "training/Options.def"
    return r;
  }();
  return table;
}

} // namespace

extern "C" {

lathe_status_t lathe_fit_options_create(lathe_context_t *ctx,
                                        lathe_fit_options_t **out) {
  if (!out)
    return nullArgument(ctx, "lathe_fit_options_create");
  *out = new lathe_fit_options();
  return LATHE_OK;
}

void lathe_fit_options_destroy(lathe_fit_options_t *options) { delete options; }

lathe_status_t lathe_fit_options_set(lathe_context_t *ctx,
                                     lathe_fit_options_t *options,
                                     const char *name, const char *value) {
  if (!options || !name || !value)
    return nullArgument(ctx, "lathe_fit_options_set");
  std::string why =
      lathe::training::setLoopOption(options->options, name, value);
  if (!why.empty())
    return lathe_context_set_error(ctx, LATHE_INVALID_ARGUMENT, why.c_str());
  return LATHE_OK;
}

size_t lathe_fit_num_options(void) { return rows().size(); }
const char *lathe_fit_option_name(size_t i) {
  return i < rows().size() ? rows()[i].name : nullptr;
}
const char *lathe_fit_option_default(size_t i) {
  return i < rows().size() ? rows()[i].value.c_str() : nullptr;
}
const char *lathe_fit_option_help(size_t i) {
  return i < rows().size() ? rows()[i].help : nullptr;
}

lathe_status_t lathe_fit_create(lathe_context_t *ctx, lathe_trainer_t *trainer,
                                const lathe_fit_options_t *options,
                                lathe_tensor_t *const *train, size_t num_train,
                                lathe_tensor_t *const *val, size_t num_val,
                                lathe_fit_t **out) {
  if (!trainer || !out || (num_train && !train) || (num_val && !val))
    return nullArgument(ctx, "lathe_fit_create");
  LoopOptions defaults;
  std::vector<const lathe_tensor_t *> t(train, train + num_train);
  std::vector<const lathe_tensor_t *> v;
  if (num_val)
    v.assign(val, val + num_val);
  std::unique_ptr<Loop> loop;
  if (lathe_status_t s =
          Loop::create(ctx, trainer, options ? options->options : defaults,
                       std::move(t), std::move(v), loop))
    return s;
  *out = new lathe_fit{std::move(loop)};
  return LATHE_OK;
}

void lathe_fit_destroy(lathe_fit_t *fit) { delete fit; }

int64_t lathe_fit_train_samples(const lathe_fit_t *fit) {
  return fit ? fit->loop->trainSamples() : 0;
}
int64_t lathe_fit_val_samples(const lathe_fit_t *fit) {
  return fit ? fit->loop->valSamples() : 0;
}
int64_t lathe_fit_tail_samples(const lathe_fit_t *fit) {
  return fit ? fit->loop->tailSamples() : 0;
}

lathe_status_t lathe_fit_set_tail_module(lathe_context_t *ctx, lathe_fit_t *fit,
                                         const lathe_module_t *module) {
  if (!fit || !module)
    return nullArgument(ctx, "lathe_fit_set_tail_module");
  return fit->loop->setTailModule(module);
}

lathe_status_t lathe_fit_set_replica(lathe_context_t *ctx, lathe_fit_t *fit,
                                     int rank, int world) {
  if (!fit)
    return nullArgument(ctx, "lathe_fit_set_replica");
  return fit->loop->setReplica(rank, world);
}

lathe_status_t lathe_fit_set_metadata(lathe_context_t *ctx, lathe_fit_t *fit,
                                      const char *key, const char *value) {
  if (!fit || !key || !value)
    return nullArgument(ctx, "lathe_fit_set_metadata");
  fit->loop->setMetadata(key, value);
  return LATHE_OK;
}

lathe_status_t lathe_fit_resume(lathe_context_t *ctx, lathe_fit_t *fit,
                                const char *folder, int64_t *out_epoch,
                                int64_t *out_batch) {
  if (!fit || !folder)
    return nullArgument(ctx, "lathe_fit_resume");
  return fit->loop->resume(folder, out_epoch, out_batch);
}

lathe_status_t lathe_fit_run(lathe_context_t *ctx, lathe_fit_t *fit,
                             const lathe_fit_callbacks_t *callbacks,
                             lathe_fit_end_t *out_end) {
  if (!fit)
    return nullArgument(ctx, "lathe_fit_run");
  if (callbacks && callbacks->struct_size < sizeof(lathe_fit_callbacks_t))
    return lathe_context_set_error(
        ctx, LATHE_INVALID_ARGUMENT,
        "lathe_fit_run: callbacks.struct_size is not "
        "sizeof(lathe_fit_callbacks_t)");
  lathe::training::Callbacks cb;
  if (callbacks && callbacks->on_step)
    cb.onStep = [callbacks](const lathe::training::StepReport &r) {
      lathe_fit_step_report_t c{r.step,     r.epoch,    r.epochs, r.batch,
                                r.batches,  r.lr,       r.loss,   r.meanLoss,
                                r.accuracy, r.msPerStep};
      return callbacks->on_step(callbacks->user, &c) == 0;
    };
  if (callbacks && callbacks->on_epoch)
    cb.onEpoch = [callbacks](const lathe::training::EpochReport &r) {
      lathe_fit_epoch_report_t c{r.epoch,       r.epochs,        r.lr,
                                 r.trainLoss,   r.trainAccuracy, r.valLoss,
                                 r.valAccuracy, r.msPerStep};
      return callbacks->on_epoch(callbacks->user, &c) == 0;
    };
  lathe::training::End end = lathe::training::End::Finished;
  lathe_status_t s = fit->loop->run(cb, end);
  if (out_end)
    *out_end = lathe_fit_end_t(end);
  return s;
}

} // extern "C"
