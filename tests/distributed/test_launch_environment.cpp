#include "reff/distributed/launch_environment.h"

#include "fixtures.h"

#include <gtest/gtest.h>

#include <map>

namespace reff::distributed {
namespace {

LaunchEnvironment read(const std::map<std::string, std::string>& variables) {
  return read_launch_environment([&](const std::string& name) -> std::optional<std::string> {
    const auto found = variables.find(name);
    if (found == variables.end()) return std::nullopt;
    return found->second;
  });
}

TEST(LaunchEnvironment, NoLauncherIsOneProcess) {
  const auto env = read({});
  EXPECT_EQ(env.launcher, "none");
  EXPECT_EQ(env.world_size, 1);
  EXPECT_FALSE(env.distributed());
}

TEST(LaunchEnvironment, Torchrun) {
  const auto env = read({{"RANK", "5"},
                         {"WORLD_SIZE", "8"},
                         {"LOCAL_RANK", "1"},
                         {"LOCAL_WORLD_SIZE", "4"},
                         {"MASTER_ADDR", "node0"},
                         {"MASTER_PORT", "1234"}});
  EXPECT_EQ(env.launcher, "torchrun");
  EXPECT_EQ(env.rank, 5);
  EXPECT_EQ(env.world_size, 8);
  EXPECT_EQ(env.local_rank, 1);
  EXPECT_EQ(env.local_world_size, 4);
  EXPECT_EQ(env.master_addr, "node0");
  EXPECT_EQ(env.master_port, 1234);
}

TEST(LaunchEnvironment, TorchrunOnOneMachineNeedsNoMaster) {
  const auto env = read({{"RANK", "1"}, {"WORLD_SIZE", "2"}});
  EXPECT_EQ(env.master_addr, "127.0.0.1");
  EXPECT_EQ(env.master_port, kDefaultMasterPort);
  EXPECT_EQ(env.local_rank, 1);
  EXPECT_EQ(env.local_world_size, 2);
}

TEST(LaunchEnvironment, SlurmDerivesTheMasterFromTheNodeList) {
  const auto env = read({{"SLURM_PROCID", "6"},
                         {"SLURM_NTASKS", "8"},
                         {"SLURM_LOCALID", "2"},
                         {"SLURM_NTASKS_PER_NODE", "4(x2)"},
                         {"SLURM_STEP_NODELIST", "gpu[07-08]"},
                         {"SLURM_JOB_ID", "123456"}});
  EXPECT_EQ(env.launcher, "slurm");
  EXPECT_EQ(env.rank, 6);
  EXPECT_EQ(env.world_size, 8);
  EXPECT_EQ(env.local_rank, 2);
  EXPECT_EQ(env.local_world_size, 4);
  EXPECT_EQ(env.master_addr, "gpu07");
  EXPECT_EQ(env.master_port, kDefaultMasterPort + 456);
}

TEST(LaunchEnvironment, GivenMasterWinsOverSlurmsNodeList) {
  const auto env = read({{"SLURM_PROCID", "0"},
                         {"SLURM_NTASKS", "2"},
                         {"SLURM_JOB_NODELIST", "a1,a2"},
                         {"MASTER_ADDR", "10.0.0.1"},
                         {"MASTER_PORT", "4000"}});
  EXPECT_EQ(env.master_addr, "10.0.0.1");
  EXPECT_EQ(env.master_port, 4000);
}

TEST(LaunchEnvironment, AnSbatchScriptWithoutTasksIsOneProcess) {
  const auto env = read({{"SLURM_PROCID", "0"}, {"SLURM_JOB_ID", "17"}});
  EXPECT_FALSE(env.distributed());
  EXPECT_EQ(env.world_size, 1);
}

TEST(LaunchEnvironment, TorchrunInsideSlurmIsTorchrun) {
  const auto env =
      read({{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "1"}, {"RANK", "3"}, {"WORLD_SIZE", "4"}});
  EXPECT_EQ(env.launcher, "torchrun");
  EXPECT_EQ(env.rank, 3);
}

TEST(LaunchEnvironment, OpenMpi) {
  const auto env = read({{"OMPI_COMM_WORLD_RANK", "3"},
                         {"OMPI_COMM_WORLD_SIZE", "4"},
                         {"OMPI_COMM_WORLD_LOCAL_RANK", "1"},
                         {"OMPI_COMM_WORLD_LOCAL_SIZE", "2"},
                         {"MASTER_ADDR", "head"}});
  EXPECT_EQ(env.launcher, "openmpi");
  EXPECT_EQ(env.rank, 3);
  EXPECT_EQ(env.local_rank, 1);
  EXPECT_EQ(env.master_addr, "head");
}

TEST(LaunchEnvironment, FirstSlurmHost) {
  EXPECT_EQ(first_slurm_host("node12"), "node12");
  EXPECT_EQ(first_slurm_host("gpu[03-05,07],cpu1"), "gpu03");
  EXPECT_EQ(first_slurm_host("cpu1,gpu[03-05]"), "cpu1");
  EXPECT_EQ(first_slurm_host("n[7,9]"), "n7");
}

TEST(LaunchEnvironment, InconsistentValuesAreClearErrors) {
  using test::expect_error_mentioning;
  expect_error_mentioning([] { read({{"RANK", "2"}, {"WORLD_SIZE", "2"}}); }, "RANK: 2 is outside");
  expect_error_mentioning(
      [] {
        read({{"RANK", "x"}, {"WORLD_SIZE", "2"}});
      },
      "RANK: 'x' is not an integer");
  expect_error_mentioning([] { read({{"RANK", "0"}}); }, "WORLD_SIZE: is not set");
  expect_error_mentioning([] { read({{"WORLD_SIZE", "0"}, {"RANK", "0"}}); }, "WORLD_SIZE: 0");
  expect_error_mentioning(
      [] {
        read({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"LOCAL_RANK", "1"}, {"LOCAL_WORLD_SIZE", "1"}});
      },
      "LOCAL_RANK: 1 is outside");
  expect_error_mentioning(
      [] {
        read({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_PORT", "70000"}});
      },
      "MASTER_PORT");
  expect_error_mentioning(
      [] {
        read({{"RANK", "0"}, {"WORLD_SIZE", "4"}, {"LOCAL_WORLD_SIZE", "2"}});
      },
      "MASTER_ADDR: not set");
  expect_error_mentioning(
      [] {
        read({{"OMPI_COMM_WORLD_RANK", "0"},
              {"OMPI_COMM_WORLD_SIZE", "4"},
              {"OMPI_COMM_WORLD_LOCAL_SIZE", "2"}});
      },
      "MASTER_ADDR: not set");
}

}  // namespace
}  // namespace reff::distributed
