// The lathe dialect's ops, one file per family (the same grouping as the
// lowering patterns, the gradient rules and the tests). Families later in
// the list may use the enums and classes of earlier ones.
#ifndef LATHE_OPS_TD
#define LATHE_OPS_TD

include "dialects/lathe/LatheBase.td"
include "dialects/lathe/LatheMathOps.td"
include "dialects/lathe/LatheNNOps.td"
include "dialects/lathe/LatheTensorOps.td"
include "dialects/lathe/LatheLossOps.td"
include "dialects/lathe/LatheRnnOps.td"
include "dialects/lathe/LatheParallelOps.td"

#endif // LATHE_OPS_TD
