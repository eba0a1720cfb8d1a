// Data-parallel training's replicas: the processes a launcher (mpirun)
// started, and the gradient all-reduce among them (Open MPI, loaded at run
// time, so that a single-process install needs no MPI).
#ifndef LATHE_TRAINING_REPLICAS_H
#define LATHE_TRAINING_REPLICAS_H

#include "lathe/runtime.h"

#include <cstdint>
#include <memory>
#include <string>

namespace lathe::training {

class LATHE_API Replicas {
public:
  /// The replicas of this process's launch: none (nullptr, no error) when
  /// no launcher started several processes; otherwise MPI initialized, or
  /// |error| says why not ("no MPI: libmpi.so.40 not found ...").
  static std::unique_ptr<Replicas> fromLauncher(std::string &error);
  ~Replicas(); ///< MPI_Finalize.

  int rank() const { return rank_; }
  int world() const { return world_; }

  /// lathe/abi.h's all-reduce hook on |comm| (a Replicas): the mean across
  /// the replicas, identical on every replica (reduced to rank 0, then
  /// broadcast). f32 and f64; non-zero on failure.
  static int32_t allreduceMean(void *comm, void *data, int64_t count,
                               lathe_dtype_t dtype);
  /// Whether every replica passed the same |value| (an f64 vector); a
  /// collective, so every replica must call it. "" or why not.
  std::string agree(const std::string &value);
  /// A collective that has not completed after |seconds| (0: never) fails:
  /// the step returns an error, and this process, when it ends, stops
  /// every replica (MPI_Abort) instead of waiting for them.
  void setTimeout(double seconds);
  /// Why the last collective failed ("" if none did).
  const std::string &failure() const;

private:
  struct Mpi;
  Replicas() = default;
  std::string timeoutMessage() const;
  std::unique_ptr<Mpi> mpi_;
  int rank_ = 0, world_ = 1;
  std::string failure_;
};

} // namespace lathe::training

#endif // LATHE_TRAINING_REPLICAS_H
