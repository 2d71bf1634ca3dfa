#include "launch_command.h"

#include "reff/distributed/launch_environment.h"
#include "reff/error.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <iostream>
#include <map>
#include <thread>

extern char** environ;

namespace reff::cli {
namespace {

volatile std::sig_atomic_t pending_signal = 0;
constexpr int kInterrupted = 130;  // reff train's status after a graceful stop

// A free TCP port on this machine for a one-machine run's rendezvous.
int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  REFF_REQUIRE(fd >= 0, "--master-port", "cannot open a socket to find a free port");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  close(fd);
  REFF_REQUIRE(ok, "--master-port", "no free port found: give one");
  return ntohs(address.sin_port);
}

std::string describe(int status) {
  if (WIFSIGNALED(status)) {
    return "was killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  }
  return "exited with status " + std::to_string(WEXITSTATUS(status));
}

int exit_code(int status) {
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

struct LaunchCommand {
  int nproc_per_node = 1, nnodes = 1, node_rank = 0, master_port = 0;
  double grace_seconds = 30;
  std::string master_addr = "127.0.0.1", program;
  std::vector<std::string> args;

  // The worker's environment: ours, with the torchrun variables of `local_rank`.
  std::vector<std::string> environment(int local_rank, int port) const {
    std::map<std::string, std::string> env;
    for (char** e = environ; *e; ++e) {
      const std::string entry(*e);
      const auto eq = entry.find('=');
      if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
    env["RANK"] = std::to_string(node_rank * nproc_per_node + local_rank);
    env["WORLD_SIZE"] = std::to_string(nnodes * nproc_per_node);
    env["LOCAL_RANK"] = std::to_string(local_rank);
    env["LOCAL_WORLD_SIZE"] = std::to_string(nproc_per_node);
    env["MASTER_ADDR"] = master_addr;
    env["MASTER_PORT"] = std::to_string(port);
    std::vector<std::string> out;
    for (const auto& [name, value] : env) out.push_back(name + "=" + value);
    return out;
  }

  pid_t start(int local_rank, int port) const {
    const auto env = environment(local_rank, port);
    std::vector<std::string> argv_strings{program.empty() ? "reff" : program};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv, envp;
    for (const auto& a : argv_strings) argv.push_back(const_cast<char*>(a.c_str()));
    for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    argv.push_back(nullptr);
    envp.push_back(nullptr);
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid == 0) {
      // Its own process group: a terminal's Ctrl-C reaches the launcher only, which passes it on
      // once. If the launcher dies, the worker is told to stop (SIGTERM: graceful).
      setpgid(0, 0);
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (getppid() != parent) _exit(1);
      if (program.empty()) {
        execve("/proc/self/exe", argv.data(), envp.data());
      } else {
        environ = envp.data();
        execvp(program.c_str(), argv.data());
      }
      std::fprintf(stderr, "reff launch: cannot start %s: %s\n", argv[0], std::strerror(errno));
      _exit(127);
    }
    REFF_REQUIRE(pid > 0, "reff launch",
                 std::string("cannot start a process: ") + std::strerror(errno));
    return pid;
  }

  int run() const {
    REFF_REQUIRE(nproc_per_node >= 1 && nproc_per_node <= 1024, "--nproc-per-node",
                 "must be in [1, 1024]");
    REFF_REQUIRE(nnodes >= 1, "--nnodes", "must be positive");
    REFF_REQUIRE(node_rank >= 0 && node_rank < nnodes, "--node-rank",
                 "must be in [0, --nnodes - 1]");
    REFF_REQUIRE(master_port >= 0 && master_port <= 65535, "--master-port",
                 "must be in [0, 65535]");
    REFF_REQUIRE(nnodes == 1 || master_port > 0, "--master-port",
                 "give one port for all machines of a multi-machine run");
    REFF_REQUIRE(nnodes == 1 || master_addr != "127.0.0.1", "--master-addr",
                 "give rank 0's host for a multi-machine run");
    REFF_REQUIRE(!args.empty(), "reff launch", "no command: reff launch [options] -- train ...");
    REFF_REQUIRE(grace_seconds >= 0, "--grace", "must be >= 0");
    const int port = master_port > 0 ? master_port : free_port();

    struct sigaction action {};
    action.sa_handler = [](int signal) { pending_signal = signal; };
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);

    std::map<pid_t, int> running;  // pid -> local rank
    for (int local = 0; local < nproc_per_node; ++local) running[start(local, port)] = local;
    std::cerr << "reff launch: " << nproc_per_node << " process(es) on this machine, "
              << nnodes * nproc_per_node << " in all, rendezvous " << master_addr << ":" << port
              << "\n";

    int result = 0;
    bool stopping = false;
    auto deadline = std::chrono::steady_clock::time_point::max();
    const auto signal_all = [&](int signal) {
      for (const auto& [pid, local] : running) kill(pid, signal);
    };
    while (!running.empty()) {
      if (pending_signal != 0) {
        signal_all(pending_signal);  // Ctrl-C, SIGTERM: the workers checkpoint and stop
        pending_signal = 0;
      }
      int status = 0;
      const pid_t pid = waitpid(-1, &status, WNOHANG);
      if (pid > 0 && running.count(pid)) {
        const int rank = node_rank * nproc_per_node + running[pid];
        running.erase(pid);
        if (exit_code(status) == kInterrupted) {
          // A stop on request reaches every rank through the step's flags; rank 0 may still be
          // writing the checkpoint, so the others are left to finish.
          if (result == 0) result = kInterrupted;
        } else if (exit_code(status) != 0 && !stopping) {
          result = exit_code(status);
          stopping = true;
          std::cerr << "reff launch: rank " << rank << " (pid " << pid << ") " << describe(status)
                    << (running.empty() ? "\n" : "; stopping the other ranks\n");
          signal_all(SIGTERM);
          deadline = std::chrono::steady_clock::now() +
                     std::chrono::milliseconds(static_cast<int64_t>(grace_seconds * 1000));
        }
        continue;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        signal_all(SIGKILL);
        deadline = std::chrono::steady_clock::time_point::max();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return result;
  }
};

}  // namespace

void add_launch_command(CLI::App& app) {
  auto l = std::make_shared<LaunchCommand>();
  auto* launch = app.add_subcommand(
      "launch",
      "Start the processes of a distributed run on this machine (as torchrun): reff launch "
      "--nproc-per-node N -- train ...");
  launch
      ->add_option("--nproc-per-node", l->nproc_per_node,
                   "Processes on this machine (one per GPU; on CPU they share the cores)")
      ->capture_default_str();
  launch->add_option("--nnodes", l->nnodes, "Machines in the run")->capture_default_str();
  launch->add_option("--node-rank", l->node_rank, "This machine's index, 0 .. nnodes-1")
      ->capture_default_str();
  launch->add_option("--master-addr", l->master_addr, "Host of rank 0 (the rendezvous)")
      ->capture_default_str();
  launch
      ->add_option("--master-port", l->master_port,
                   "Port of the rendezvous (0: a free one; one machine only)")
      ->capture_default_str();
  launch
      ->add_option("--grace", l->grace_seconds,
                   "Seconds the other ranks get to stop after one fails, before SIGKILL")
      ->capture_default_str();
  launch->add_option("--program", l->program,
                     "Run this program instead of reff (your own program that joins with "
                     "reff::distributed::join_world)");
  launch->add_option("args", l->args, "The command each process runs, after --")->required();
  launch->callback([l] { throw ExitStatus{l->run()}; });
}

}  // namespace reff::cli
