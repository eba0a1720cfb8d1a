// Data-parallel training's replicas over Open MPI, loaded with dlopen: its
// handles (MPI_COMM_WORLD, MPI_DOUBLE, ...) are the addresses of the
// library's predefined globals, as Open MPI's mpi.h defines them.
#include "training/Replicas.h"

#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <thread>
#include <vector>

namespace lathe::training {

struct Replicas::Mpi {
  void *library = nullptr;
  void *commWorld = nullptr, *f32 = nullptr, *f64 = nullptr, *sum = nullptr;
  int (*initialized)(int *) = nullptr;
  int (*init)(int *, char ***) = nullptr;
  int (*finalize)() = nullptr;
  int (*commRank)(void *, int *) = nullptr;
  int (*commSize)(void *, int *) = nullptr;
  int (*ireduce)(const void *, void *, int, void *, void *, int, void *,
                 void **) = nullptr;
  int (*ibcast)(void *, int, void *, int, void *, void **) = nullptr;
  int (*test)(void **, int *, void *) = nullptr;
  int (*abort)(void *, int) = nullptr;
  int rank = 0, world = 1;
  double timeoutSeconds = 0; ///< 0: wait as long as it takes.
  bool failed = false;       ///< A collective failed: abort, not finalize.

  /// Waits for |request| until the timeout; false when it passes.
  bool wait(void *request) {
    auto deadline = std::chrono::steady_clock::now() +
                    std::chrono::duration<double>(timeoutSeconds);
    for (unsigned spins = 0;; ++spins) {
      int done = 0;
      if (test(&request, &done, nullptr) != 0)
        return false;
      if (done)
        return true;
      if (timeoutSeconds > 0 && std::chrono::steady_clock::now() > deadline)
        return false;
      if (spins > 1000)
        std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }
};

namespace {

/// Open MPI's MPI_IN_PLACE.
void *const kInPlace = reinterpret_cast<void *>(1);

/// The world size a launcher announces (Open MPI's mpirun, or a PMI one).
int launchedWorld() {
  for (const char *var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"})
    if (const char *v = std::getenv(var))
      return std::atoi(v);
  return 1;
}

template <typename F> bool bind(void *library, const char *name, F &to) {
  to = reinterpret_cast<F>(dlsym(library, name));
  return to != nullptr;
}

} // namespace

std::unique_ptr<Replicas> Replicas::fromLauncher(std::string &error) {
  error.clear();
  if (launchedWorld() <= 1)
    return nullptr;
  auto mpi = std::make_unique<Mpi>();
  // RTLD_GLOBAL: Open MPI's own plugins resolve against libmpi.
  mpi->library = dlopen("libmpi.so.40", RTLD_NOW | RTLD_GLOBAL);
  if (!mpi->library) {
    error = "launched as one of " + std::to_string(launchedWorld()) +
            " processes, but no MPI: libmpi.so.40 (Open MPI) not found; "
            "install Debian's openmpi-bin";
    return nullptr;
  }
  void *lib = mpi->library;
  bool ok = bind(lib, "MPI_Initialized", mpi->initialized) &&
            bind(lib, "MPI_Init", mpi->init) &&
            bind(lib, "MPI_Finalize", mpi->finalize) &&
            bind(lib, "MPI_Comm_rank", mpi->commRank) &&
            bind(lib, "MPI_Comm_size", mpi->commSize) &&
            bind(lib, "MPI_Ireduce", mpi->ireduce) &&
            bind(lib, "MPI_Ibcast", mpi->ibcast) &&
            bind(lib, "MPI_Test", mpi->test) &&
            bind(lib, "MPI_Abort", mpi->abort) &&
            (mpi->commWorld = dlsym(lib, "ompi_mpi_comm_world")) &&
            (mpi->f32 = dlsym(lib, "ompi_mpi_float")) &&
            (mpi->f64 = dlsym(lib, "ompi_mpi_double")) &&
            (mpi->sum = dlsym(lib, "ompi_mpi_op_sum"));
  if (!ok) {
    error = "libmpi.so.40 lacks Open MPI's symbols (another MPI?)";
    return nullptr;
  }
  int already = 0;
  mpi->initialized(&already);
  if (!already && mpi->init(nullptr, nullptr) != 0) {
    error = "MPI_Init failed";
    return nullptr;
  }
  if (mpi->commRank(mpi->commWorld, &mpi->rank) != 0 ||
      mpi->commSize(mpi->commWorld, &mpi->world) != 0) {
    error = "MPI cannot tell this process's rank";
    return nullptr;
  }
  std::unique_ptr<Replicas> replicas(new Replicas());
  replicas->rank_ = mpi->rank;
  replicas->world_ = mpi->world;
  replicas->mpi_ = std::move(mpi);
  return replicas;
}

Replicas::~Replicas() {
  if (!mpi_)
    return;
  // After a failed collective the others may still wait in one: stop them
  // all (the launcher ends every rank) rather than wait in MPI_Finalize.
  if (mpi_->failed)
    mpi_->abort(mpi_->commWorld, 1);
  mpi_->finalize();
}

void Replicas::setTimeout(double seconds) { mpi_->timeoutSeconds = seconds; }

const std::string &Replicas::failure() const { return failure_; }

int32_t Replicas::allreduceMean(void *comm, void *data, int64_t count,
                                lathe_dtype_t dtype) {
  auto *self = static_cast<Replicas *>(comm);
  if (!self || !self->mpi_)
    return 1;
  Mpi &m = *self->mpi_;
  void *type = dtype == LATHE_F32   ? m.f32
               : dtype == LATHE_F64 ? m.f64
                                    : nullptr;
  if (!type)
    return 2;
  size_t bytes = dtype == LATHE_F32 ? 4 : 8;
  // Summed at rank 0, then broadcast: every replica gets the same bits,
  // so their parameters stay identical. Non-blocking, so that a replica
  // that hangs makes the others fail after the timeout.
  auto failed = [&](const std::string &why) {
    m.failed = true;
    self->failure_ = why;
    return int32_t(3);
  };
  for (int64_t done = 0; done < count;) {
    int n = int(std::min<int64_t>(count - done, INT_MAX / 2));
    char *at = static_cast<char *>(data) + size_t(done) * bytes;
    const void *send = m.rank == 0 ? kInPlace : at;
    void *request = nullptr;
    if (m.ireduce(send, m.rank == 0 ? at : nullptr, n, type, m.sum, 0,
                  m.commWorld, &request) != 0)
      return failed("MPI_Ireduce failed");
    if (!m.wait(request))
      return failed(self->timeoutMessage());
    if (m.rank == 0) {
      if (dtype == LATHE_F32) {
        float *v = reinterpret_cast<float *>(at);
        for (int i = 0; i < n; ++i)
          v[i] /= float(m.world);
      } else {
        double *v = reinterpret_cast<double *>(at);
        for (int i = 0; i < n; ++i)
          v[i] /= double(m.world);
      }
    }
    if (m.ibcast(at, n, type, 0, m.commWorld, &request) != 0)
      return failed("MPI_Ibcast failed");
    if (!m.wait(request))
      return failed(self->timeoutMessage());
    done += n;
  }
  return 0;
}

std::string Replicas::timeoutMessage() const {
  std::ostringstream s;
  s << "rank " << rank_ << ": the gradient all-reduce did not complete "
    << "within the collective timeout (" << mpi_->timeoutSeconds
    << " s): another replica hung or died";
  return s.str();
}

std::string Replicas::agree(const std::string &value) {
  // Each byte and its square averaged: the variance across the replicas is
  // zero for every byte exactly when all replicas hold the same bytes
  // (small integers, so the sums are exact).
  std::vector<double> v(value.size() * 2 + 1);
  v[0] = double(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    double b = double(static_cast<unsigned char>(value[i]));
    v[1 + 2 * i] = b;
    v[2 + 2 * i] = b * b;
  }
  // Lengths first: the vectors must have the same size to be reduced.
  double length[2] = {v[0], v[0] * v[0]};
  if (allreduceMean(this, length, 2, LATHE_F64) != 0)
    return "the replicas cannot compare their setup (MPI failed)";
  if (length[1] != length[0] * length[0] || length[0] != v[0])
    return "the replicas were started with different models or options";
  if (allreduceMean(this, v.data(), int64_t(v.size()), LATHE_F64) != 0)
    return "the replicas cannot compare their setup (MPI failed)";
  for (size_t i = 0; i < value.size(); ++i)
    if (v[2 + 2 * i] != v[1 + 2 * i] * v[1 + 2 * i])
      return "the replicas were started with different models or options";
  return "";
}

} // namespace lathe::training
