#include "reff/distributed/launch_environment.h"

#include "reff/error.h"

#include <cstdlib>
#include <limits>

namespace reff::distributed {
namespace {

using Getter = std::function<std::optional<std::string>(const std::string&)>;

int parse_int(const std::string& name, const std::string& text, int low, int high) {
  size_t used = 0;
  long value = 0;
  try {
    value = std::stol(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  REFF_REQUIRE(used > 0 && used == text.size(), name, "'" + text + "' is not an integer");
  REFF_REQUIRE(value >= low && value <= high, name,
               std::to_string(value) + " is outside [" + std::to_string(low) + ", " +
                   std::to_string(high) + "]");
  return static_cast<int>(value);
}

// One launcher's variables: all present or the rank and size at least.
struct Names {
  const char* launcher;
  const char* rank;
  const char* size;
  const char* local_rank;
  const char* local_size;
};

constexpr Names kTorchrun{"torchrun", "RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE"};
constexpr Names kSlurm{"slurm", "SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID",
                       "SLURM_NTASKS_PER_NODE"};
constexpr Names kOpenMpi{"openmpi", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE",
                         "OMPI_COMM_WORLD_LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_SIZE"};

std::optional<LaunchEnvironment> read_ranks(const Getter& get, const Names& names) {
  const auto rank = get(names.rank);
  const auto size = get(names.size);
  if (!rank && !size) return std::nullopt;
  REFF_REQUIRE(rank.has_value(), names.rank, std::string("is not set but ") + names.size + " is");
  REFF_REQUIRE(size.has_value(), names.size, std::string("is not set but ") + names.rank + " is");
  constexpr int kMax = 1 << 20;
  LaunchEnvironment env;
  env.launcher = names.launcher;
  env.world_size = parse_int(names.size, *size, 1, kMax);
  env.rank = parse_int(names.rank, *rank, 0, env.world_size - 1);
  env.local_world_size = env.world_size;
  if (const auto local_size = get(names.local_size)) {
    // Slurm writes "4" or, with unequal nodes, "4(x2),3": the first count serves here.
    const auto count = local_size->substr(0, local_size->find_first_of("(,"));
    env.local_world_size = parse_int(names.local_size, count, 1, env.world_size);
  }
  env.local_rank = env.rank % env.local_world_size;
  if (const auto local_rank = get(names.local_rank)) {
    env.local_rank = parse_int(names.local_rank, *local_rank, 0, env.local_world_size - 1);
  }
  return env;
}

}  // namespace

std::string first_slurm_host(const std::string& node_list) {
  const auto first = node_list.substr(0, node_list.find(','));
  const auto bracket = node_list.find('[');
  if (bracket == std::string::npos || bracket > first.size()) return first;
  const auto close = node_list.find(']', bracket);
  REFF_REQUIRE(close != std::string::npos, "SLURM_STEP_NODELIST", "'" + node_list + "' has no ']'");
  const auto range = node_list.substr(bracket + 1, close - bracket - 1);
  const auto number = range.substr(0, range.find_first_of("-,"));
  REFF_REQUIRE(!number.empty(), "SLURM_STEP_NODELIST", "'" + node_list + "' has an empty range");
  return node_list.substr(0, bracket) + number;
}

LaunchEnvironment read_launch_environment(const Getter& get) {
  const auto master_addr = get("MASTER_ADDR");
  const auto master_port = get("MASTER_PORT");
  bool master_known = master_addr.has_value();
  auto env = read_ranks(get, kTorchrun);
  // An sbatch script's own process has SLURM_PROCID 0 but no SLURM_NTASKS unless tasks were asked
  // for: one process, not a launched rank (`reff tune --slurm`'s tasks are such processes).
  const bool slurm_batch_script = get(kSlurm.rank) && !get(kSlurm.size);
  if (!env && !slurm_batch_script) {
    env = read_ranks(get, kSlurm);
    if (env && !master_addr) {
      auto nodes = get("SLURM_STEP_NODELIST");
      if (!nodes) nodes = get("SLURM_JOB_NODELIST");
      if (nodes) env->master_addr = first_slurm_host(*nodes);
      master_known = nodes.has_value();
    }
    if (env && !master_port) {
      if (const auto job = get("SLURM_JOB_ID")) {
        env->master_port =
            kDefaultMasterPort +
            parse_int("SLURM_JOB_ID", *job, 0, std::numeric_limits<int>::max()) % 1000;
      }
    }
  }
  if (!env) env = read_ranks(get, kOpenMpi);
  if (!env) return {};
  if (master_addr) {
    REFF_REQUIRE(!master_addr->empty(), "MASTER_ADDR", "is empty");
    env->master_addr = *master_addr;
  } else if (!master_known && env->world_size > env->local_world_size) {
    throw Error("MASTER_ADDR: not set, and the run spans several machines (" +
                std::to_string(env->world_size) + " processes, " +
                std::to_string(env->local_world_size) + " per machine): name rank 0's host");
  }
  if (master_port) env->master_port = parse_int("MASTER_PORT", *master_port, 1, 65535);
  return *env;
}

LaunchEnvironment read_launch_environment() {
  return read_launch_environment([](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (!value) return std::nullopt;
    return std::string(value);
  });
}

}  // namespace reff::distributed
