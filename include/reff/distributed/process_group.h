// The processes that train one model together (data parallelism), over PyTorch's c10d: rendezvous
// through a TCPStore served by rank 0, collectives through ProcessGroupGloo (CPU) or, in a build
// against a CUDA LibTorch with NCCL, ProcessGroupNCCL. A default-constructed Group is a single
// process: every operation is then local and free.
//
// The process's group is `world()`: the command line joins it from the launch environment
// (launch_environment.h) before running a command, and training reads it. Only rank 0 writes
// (checkpoints, metrics, pictures, reports); every rank holds the same parameters.
#pragma once

#include "reff/distributed/launch_environment.h"

#include <torch/nn/module.h>
#include <torch/types.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace reff::distributed {

// A peer that died, hung past the timeout or never arrived. The message names this rank, what it
// was doing and, where known, the missing ranks.
class GroupFailed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct GroupOptions {
  std::chrono::seconds timeout{1800};  // joining, and each collective (evaluation runs meanwhile)
  std::string backend = "auto";        // gloo | nccl | auto (nccl when built with it and a GPU is
                                       // seen, else gloo)
};

// Time and bytes spent in gradient all-reduces since joining (bench and reports).
struct CommunicationStats {
  double seconds = 0;
  int64_t bytes = 0;
  int64_t calls = 0;
};

class Group {
 public:
  Group() = default;  // one process
  // Joins the run that `env` describes (a single process when env.world_size is 1). Throws
  // GroupFailed when rank 0's store cannot be reached or a rank has not arrived within the timeout,
  // reff::Error for a bad backend name or an unusable MASTER_PORT.
  static Group join(const LaunchEnvironment& env, const GroupOptions& options = {});

  int rank() const { return env_.rank; }
  int size() const { return env_.world_size; }
  int local_rank() const { return env_.local_rank; }
  int local_size() const { return env_.local_world_size; }
  bool writes() const { return env_.rank == 0; }  // the rank that writes files
  std::string backend() const;                    // "none" for one process

  // Rank 0's parameters and buffers into every rank's `model` (in place): all start alike.
  void broadcast(const torch::nn::Module& model) const;
  // Each parameter's gradient becomes sum over ranks of (weight_r * grad_r): with weight_r the
  // rank's share of the global batch, the gradient of the global batch's mean loss. Reduced in
  // flat buckets of about 25 MiB; a missing gradient counts as zero.
  void reduce_gradients(const std::vector<torch::Tensor>& parameters, double weight) const;
  // Rank 0's text on every rank (decisions that all ranks must share, e.g. a cell's outcome).
  std::string broadcast_text(const std::string& text) const;
  // The element-wise sum over ranks of a tensor on this rank's device (not differentiable:
  // models/batch_norm.h wraps it for autograd).
  torch::Tensor sum(const torch::Tensor& tensor) const;
  // Element-wise sums over ranks (metrics, flags).
  std::vector<double> sum(const std::vector<double>& values) const;
  CommunicationStats communication() const;

 private:
  struct State;
  LaunchEnvironment env_;
  std::shared_ptr<State> state_;
};

const Group& world();
// Joins the run that `env` describes (by default this process's environment) and makes the result
// world(). Returns it.
const Group& join_world(const LaunchEnvironment& env = read_launch_environment(),
                        const GroupOptions& options = {});

}  // namespace reff::distributed
