// Where this process sits in a distributed run, read from the environment that the usual
// launchers set, in this order of precedence:
//   torchrun / reff launch: RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR,
//   MASTER_PORT Slurm (srun):           SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID,
//   SLURM_NTASKS_PER_NODE;
//                           the master is MASTER_ADDR or else the first host of SLURM_STEP_NODELIST
//                           (or SLURM_JOB_NODELIST), the port MASTER_PORT or else 29500 plus
//                           SLURM_JOB_ID modulo 1000 (so two jobs on one node do not collide)
//   Open MPI (mpirun):      OMPI_COMM_WORLD_RANK, OMPI_COMM_WORLD_SIZE, OMPI_COMM_WORLD_LOCAL_RANK,
//                           OMPI_COMM_WORLD_LOCAL_SIZE; MASTER_ADDR required, MASTER_PORT optional
// None of these: a single process (rank 0 of 1).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace reff::distributed {

constexpr int kDefaultMasterPort = 29500;

struct LaunchEnvironment {
  std::string launcher = "none";  // torchrun | slurm | openmpi | none
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  int local_world_size = 1;  // processes on this machine (they share its cores)
  std::string master_addr = "127.0.0.1";
  int master_port = kDefaultMasterPort;
  bool distributed() const { return world_size > 1; }
};

// Reads variables through `get` (std::getenv in use; a map in tests). Throws reff::Error naming the
// variable for values that are not integers, out of range or inconsistent (RANK >= WORLD_SIZE, a
// rank variable without its size, no master address for a multi-process run).
LaunchEnvironment read_launch_environment(
    const std::function<std::optional<std::string>(const std::string&)>& get);
LaunchEnvironment read_launch_environment();  // from this process's environment

// The first host of a Slurm node list: "gpu[03-05,07],cpu1" -> "gpu03".
std::string first_slurm_host(const std::string& node_list);

}  // namespace reff::distributed
