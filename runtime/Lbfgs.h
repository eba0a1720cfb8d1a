// torch.optim.LBFGS on the host: a training build compiled with
// `--optimizer lbfgs` steps here, evaluating its @gradient entry as often
// as torch's closure would be called, with its history in the trainer's
// optimizer state (and so in checkpoints).
#ifndef LATHE_RUNTIME_LBFGS_H
#define LATHE_RUNTIME_LBFGS_H

#include "runtime/Internal.h"

#include <string>

namespace lathe::runtime {

/// Parses a descriptor's "lbfgs" record (after the keyword); false when
/// it is malformed.
bool parseLbfgsOptions(const std::string &text, LbfgsOptions &out);

/// One LBFGS step of |module| on |params| and |state| (the trainer's
/// blobs) over the batch |inputs|: out_outputs are the first evaluation's
/// loss and model outputs, as train_step's would be.
lathe_status_t lbfgsStep(lathe_context_t *context, const lathe_module &module,
                         void *params, void *state, const HyperValues &hyper,
                         lathe_tensor_t *const *inputs, size_t num_inputs,
                         lathe_tensor_t **out_outputs, size_t num_outputs);

} // namespace lathe::runtime

#endif // LATHE_RUNTIME_LBFGS_H
