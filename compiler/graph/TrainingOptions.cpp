// Setting a training build's options by their training/Options.def names.
#include "compiler/graph/TrainingOptions.h"

#include "training/OptionCheck.h"

namespace lathe {

using training::checkOptionText;
using training::optionKind;
using training::parseOptionText;

std::string setTrainingOption(TrainingOptions &o, const std::string &name,
                              const std::string &text) {
#define LATHE_SET_OPTION(field, optionName, Type, value, check, help)          \
  if (name == optionName) {                                                    \
    Type parsed{};                                                             \
    if (!parseOptionText(text, parsed))                                        \
      return "option '" + name + "': '" + text + "' is not " +                 \
             optionKind(parsed);                                               \
    if (auto why = checkOptionText(check, text); !why.empty())                 \
      return "option '" + name + "' " + why + " (got '" + text + "')";         \
    o.field = parsed;                                                          \
    return "";                                                                 \
  }
#define LATHE_LOSS_OPTION LATHE_SET_OPTION
#define LATHE_OPTIMIZER_OPTION LATHE_SET_OPTION
#define LATHE_EXPORT_OPTION LATHE_SET_OPTION
#define LATHE_AUTODIFF_OPTION LATHE_SET_OPTION
#define LATHE_TRAINING_MODE_OPTION LATHE_SET_OPTION
#define LATHE_PARALLEL_OPTION LATHE_SET_OPTION
#define LATHE_LOSS_LIST(field, optionName, Elem, check, help)                  \
  if (name == optionName) {                                                    \
    if (!parseOptionText(text, o.field))                                       \
      return "option '" + name + "': '" + text +                               \
             "' is not a comma-separated list of " + optionKind(Elem{}) + "s"; \
    return "";                                                                 \
  }
#include "training/Options.def"
#undef LATHE_SET_OPTION
  return "no training build option '" + name + "'";
}

} // namespace lathe
