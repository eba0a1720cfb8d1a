// Setting a training build's options by their training/Options.def names.
#include "compiler/graph/TrainingOptions.h"

#include "training/OptionCheck.h"

namespace lathe {

std::string setTrainingOption(TrainingOptions &o, const std::string &name,
                              const std::string &text) {
#define LATHE_SET_OPTION(field, optionName, Type, value, check, help)          \
  if (name == optionName)                                                      \
    return training::setOptionText(o.field, name, text, check);
#define LATHE_LOSS_OPTION LATHE_SET_OPTION
#define LATHE_OPTIMIZER_OPTION LATHE_SET_OPTION
#define LATHE_EXPORT_OPTION LATHE_SET_OPTION
#define LATHE_AUTODIFF_OPTION LATHE_SET_OPTION
#define LATHE_TRAINING_MODE_OPTION LATHE_SET_OPTION
#define LATHE_PARALLEL_OPTION LATHE_SET_OPTION
#define LATHE_LOSS_LIST(field, optionName, Elem, check, help)                  \
  if (name == optionName)                                                      \
    return training::setOptionText(o.field, name, text, "");
#include "training/Options.def"
#undef LATHE_SET_OPTION
  return "no training build option '" + name + "'";
}

} // namespace lathe
