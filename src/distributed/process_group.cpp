#include "reff/distributed/process_group.h"

#include "reff/error.h"
#include "reff/names.h"

#include <torch/cuda.h>
#include <torch/version.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
// LibTorch's build defines which backends it has (its CMake targets export USE_C10D_*).
#ifdef USE_C10D_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <cstdlib>
#include <cstring>
#include <functional>
#include <thread>

namespace reff::distributed {
namespace {

// LibTorch 2 moved the collectives from ProcessGroup into Backend.
#if TORCH_VERSION_MAJOR >= 2
using Collectives = c10d::Backend;
#else
using Collectives = c10d::ProcessGroup;
#endif

constexpr int64_t kBucketBytes = 25 << 20;

std::string reason(const std::exception& e) {
  const auto* c10_error = dynamic_cast<const c10::Error*>(&e);
  std::string text = c10_error ? c10_error->what_without_backtrace() : e.what();
  return text.substr(0, text.find('\n'));
}

bool loopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

#ifdef USE_C10D_GLOO
std::shared_ptr<::gloo::transport::Device> gloo_device(const LaunchEnvironment& env) {
  if (const char* name = std::getenv("GLOO_SOCKET_IFNAME")) {
    return c10d::ProcessGroupGloo::createDeviceForInterface(name);
  }
  if (loopback(env.master_addr))
    return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  return c10d::ProcessGroupGloo::createDefaultDevice();
}
#endif

constexpr Named<int> kBackends[] = {{0, "auto"}, {1, "gloo"}, {2, "nccl"}};

std::string chosen_backend(const std::string& requested) {
#ifdef USE_C10D_NCCL
  if (requested == "auto" && torch::cuda::is_available()) return "nccl";
#else
  REFF_REQUIRE(requested != "nccl", "--dist-backend",
               "nccl needs a build against a CUDA LibTorch with NCCL (this one has none)");
#endif
#ifndef USE_C10D_GLOO
  REFF_REQUIRE(requested != "gloo" && requested != "auto", "--dist-backend",
               "gloo: this LibTorch was built without it (USE_C10D_GLOO)");
#endif
  return requested == "auto" ? "gloo" : requested;
}

c10::intrusive_ptr<c10d::Store> rendezvous(const LaunchEnvironment& env,
                                           std::chrono::milliseconds timeout) {
  c10d::TCPStoreOptions options;
  options.port = static_cast<uint16_t>(env.master_port);
  options.isServer = env.rank == 0;
  options.numWorkers = env.world_size;
  options.waitWorkers = false;  // the wait below names the ranks that are missing
  options.timeout = timeout;
  const auto where = env.master_addr + ":" + std::to_string(env.master_port);
  c10::intrusive_ptr<c10d::Store> store;
  try {
    store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, options);
  } catch (const std::exception& e) {
    if (env.rank == 0) {
      throw GroupFailed("rank 0: cannot serve the rendezvous on " + where + " (" + reason(e) +
                        "); is another run using MASTER_PORT " + std::to_string(env.master_port) +
                        "?");
    }
    throw GroupFailed("rank " + std::to_string(env.rank) + ": rank 0 did not answer at " + where +
                      " within " + std::to_string(timeout.count() / 1000) + " s (" + reason(e) +
                      ")");
  }
  store->set("reff/arrived/" + std::to_string(env.rank), std::vector<uint8_t>{1});
  store->add("reff/arrivals", 1);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (store->add("reff/arrivals", 0) < env.world_size) {
    if (std::chrono::steady_clock::now() > deadline) {
      std::string missing;
      for (int r = 0; r < env.world_size; ++r) {
        if (!store->check({"reff/arrived/" + std::to_string(r)})) {
          missing += (missing.empty() ? "" : ", ") + std::to_string(r);
        }
      }
      throw GroupFailed("rank " + std::to_string(env.rank) + ": rank(s) " + missing + " of " +
                        std::to_string(env.world_size) + " did not arrive at " + where +
                        " within " + std::to_string(timeout.count() / 1000) + " s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return c10::make_intrusive<c10d::PrefixStore>("reff/group", store);
}

}  // namespace

struct Group::State {
  std::string backend;
  torch::Device device{torch::kCPU};  // where small reductions (sum) run
  c10::intrusive_ptr<Collectives> collectives;
  mutable CommunicationStats stats;

  // Starts a collective and waits for it; NCCL fails at the start, Gloo in the wait.
  void run(const std::string& what, int rank,
           const std::function<c10::intrusive_ptr<c10d::Work>()>& start) const {
    try {
      start()->wait();
    } catch (const std::exception& e) {
      throw GroupFailed("rank " + std::to_string(rank) + ": " + what +
                        " failed: a peer died or stopped answering (" + reason(e) + ")");
    }
  }
};

Group Group::join(const LaunchEnvironment& env, const GroupOptions& options) {
  find_named(kBackends, "--dist-backend", options.backend);
  Group group;
  group.env_ = env;
  if (!env.distributed()) return group;
  const auto backend = chosen_backend(options.backend);
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(options.timeout);
  c10::intrusive_ptr<c10d::Store> store;
  try {
    store = rendezvous(env, timeout);
  } catch (const GroupFailed&) {
    throw;
  } catch (const std::exception& e) {
    throw GroupFailed("rank " + std::to_string(env.rank) + ": lost rank 0's store at " +
                      env.master_addr + ":" + std::to_string(env.master_port) +
                      " during the rendezvous (" + reason(e) + ")");
  }
  auto state = std::make_shared<State>();
  state->backend = backend;
  try {
#ifdef USE_C10D_NCCL
    if (backend == "nccl") {
      const auto gpus = static_cast<int>(torch::cuda::device_count());
      REFF_REQUIRE(
          env.local_world_size <= gpus, "--dist-backend",
          "nccl needs a GPU of its own per process: " + std::to_string(env.local_world_size) +
              " processes on this machine, " + std::to_string(gpus) +
              " GPU(s); use --dist-backend gloo (or fewer processes)");
      auto nccl = c10d::ProcessGroupNCCL::Options::create();
      nccl->timeout = timeout;
      state->device = torch::Device(torch::kCUDA, env.local_rank % torch::cuda::device_count());
      state->collectives =
          c10::make_intrusive<c10d::ProcessGroupNCCL>(store, env.rank, env.world_size, nccl);
    }
#endif
#ifdef USE_C10D_GLOO
    if (backend == "gloo") {
      auto gloo = c10d::ProcessGroupGloo::Options::create(timeout);
      gloo->devices.push_back(gloo_device(env));
      state->collectives =
          c10::make_intrusive<c10d::ProcessGroupGloo>(store, env.rank, env.world_size, gloo);
    }
#endif
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw GroupFailed("rank " + std::to_string(env.rank) + ": cannot connect to the other ranks (" +
                      reason(e) + ")");
  }
  group.state_ = state;
  return group;
}

std::string Group::backend() const { return state_ ? state_->backend : "none"; }

namespace {

// Consecutive tensors of one dtype and device, about kBucketBytes each.
std::vector<std::vector<torch::Tensor>> buckets(const std::vector<torch::Tensor>& tensors) {
  std::vector<std::vector<torch::Tensor>> out;
  int64_t bytes = 0;
  for (const auto& t : tensors) {
    const bool fits = !out.empty() && bytes < kBucketBytes &&
                      out.back().front().scalar_type() == t.scalar_type() &&
                      out.back().front().device() == t.device();
    if (!fits) {
      out.emplace_back();
      bytes = 0;
    }
    out.back().push_back(t);
    bytes += t.numel() * static_cast<int64_t>(t.element_size());
  }
  return out;
}

torch::Tensor flat(const std::vector<torch::Tensor>& tensors) {
  std::vector<torch::Tensor> views;
  for (const auto& t : tensors) views.push_back(t.reshape({-1}));
  return torch::cat(views);
}

void unflatten(const torch::Tensor& flat, const std::vector<torch::Tensor>& tensors) {
  int64_t offset = 0;
  for (const auto& t : tensors) {
    t.copy_(flat.slice(0, offset, offset + t.numel()).view_as(t));
    offset += t.numel();
  }
}

}  // namespace

void Group::broadcast(const torch::nn::Module& model) const {
  if (!state_) return;
  torch::NoGradGuard no_grad;
  auto tensors = model.parameters();
  for (const auto& buffer : model.buffers()) tensors.push_back(buffer);
  for (const auto& bucket : buckets(tensors)) {
    std::vector<torch::Tensor> data{flat(bucket)};
    c10d::BroadcastOptions options;
    options.rootRank = 0;
    state_->run("broadcasting rank 0's weights", rank(),
                [&] { return state_->collectives->broadcast(data, options); });
    unflatten(data.front(), bucket);
  }
}

std::string Group::broadcast_text(const std::string& text) const {
  if (!state_) return text;
  c10d::BroadcastOptions options;
  options.rootRank = 0;
  std::vector<torch::Tensor> length{
      torch::tensor({static_cast<int64_t>(text.size())}, torch::kInt64).to(state_->device)};
  state_->run("broadcasting rank 0's decision", rank(),
              [&] { return state_->collectives->broadcast(length, options); });
  const auto size = length.front().cpu().item<int64_t>();
  auto bytes = torch::zeros({size}, torch::kUInt8);
  if (writes()) std::memcpy(bytes.data_ptr<uint8_t>(), text.data(), text.size());
  std::vector<torch::Tensor> data{bytes.to(state_->device)};
  if (size > 0) {
    state_->run("broadcasting rank 0's decision", rank(),
                [&] { return state_->collectives->broadcast(data, options); });
  }
  const auto received = data.front().cpu();
  return std::string(reinterpret_cast<const char*>(received.data_ptr<uint8_t>()),
                     static_cast<size_t>(size));
}

void Group::reduce_gradients(const std::vector<torch::Tensor>& parameters, double weight) const {
  if (!state_) return;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> grads;
  for (auto p : parameters) {
    if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
    grads.push_back(p.grad());
  }
  const auto start = std::chrono::steady_clock::now();
  for (const auto& bucket : buckets(grads)) {
    std::vector<torch::Tensor> data{flat(bucket).mul_(weight)};
    state_->run("the gradient all-reduce", rank(),
                [&] { return state_->collectives->allreduce(data); });
    unflatten(data.front(), bucket);
    state_->stats.bytes += data.front().numel() * static_cast<int64_t>(data.front().element_size());
  }
  state_->stats.seconds +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ++state_->stats.calls;
}

torch::Tensor Group::sum(const torch::Tensor& tensor) const {
  if (!state_) return tensor;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> data{tensor.contiguous().clone()};
  state_->run("an all-reduce", rank(), [&] { return state_->collectives->allreduce(data); });
  return data.front();
}

std::vector<double> Group::sum(const std::vector<double>& values) const {
  if (!state_ || values.empty()) return values;
  const auto summed =
      sum(torch::tensor(values, torch::dtype(torch::kFloat64)).to(state_->device)).cpu();
  return {summed.data_ptr<double>(), summed.data_ptr<double>() + summed.numel()};
}

CommunicationStats Group::communication() const {
  return state_ ? state_->stats : CommunicationStats{};
}

namespace {
Group& the_world() {
  static Group group;
  return group;
}
}  // namespace

const Group& world() { return the_world(); }

const Group& join_world(const LaunchEnvironment& env, const GroupOptions& options) {
  the_world() = Group::join(env, options);
  return the_world();
}

}  // namespace reff::distributed
