#include "reff/experiment/tune_runner.h"

#include "reff/error.h"
#include "reff/folder_lock.h"
#include "reff/json_file.h"
#include "reff/train/trainer.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

namespace reff::experiment {
namespace fs = std::filesystem;
namespace {

constexpr const char* kClaims = "claims";
constexpr const char* kLogs = "logs";

std::string absolute_cell_folder(const std::string& dir, const std::string& id) {
  return fs::absolute(cell_folder(dir, id)).lexically_normal().string();
}

// What a dependency's record says: done, failed (the cell never runs) or not yet.
CellRun dependency(const TuneState& state, const std::string& id) {
  const auto found = state.recorded.find(id);
  if (found == state.recorded.end()) return CellRun::waiting;
  return found->second.status == CellStatus::done ? CellRun::ran : CellRun::blocked;
}

// A child process running `argv` with its output in `log`, killed when this process dies.
pid_t spawn(const std::vector<std::string>& argv, const std::string& log) {
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  REFF_REQUIRE(pid >= 0, "reff tune", "cannot start a cell process");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      close(fd);
    }
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

}  // namespace

std::string claim_folder(const std::string& dir, const std::string& id) {
  return (fs::path(dir) / kClaims / id).string();
}

std::string cell_log(const std::string& dir, const std::string& id) {
  return (fs::path(dir) / kLogs / (id + ".log")).string();
}

void claim_tune_folder(const std::string& dir, const TuneSpec& spec) {
  const auto path = (fs::path(dir) / kTuneFile).string();
  const auto json = spec.to_json();
  if (fs::exists(path)) {
    const auto stored = read_json_file(path);
    if (stored == json) return;
    std::string differs;
    for (const auto& [key, value] : json.items())
      if (!stored.contains(key) || stored[key] != value)
        differs += (differs.empty() ? "" : ", ") + key;
    fail(dir, "holds another sweep (its tune.json differs in " +
                  (differs.empty() ? std::string("its keys") : differs) +
                  "); choose another --out, or rerun that sweep's command to resume it");
  }
  std::error_code error;
  fs::create_directories(dir, error);
  REFF_REQUIRE(!error, dir, "cannot make the folder (" + error.message() + ")");
  write_json_file(path, json);
}

TuneSpec read_tune_spec(const std::string& dir) {
  const auto path = (fs::path(dir) / kTuneFile).string();
  REFF_REQUIRE(fs::exists(path), dir, "holds no sweep (no tune.json): run reff tune --out " + dir);
  return TuneSpec::from_json(read_json_file(path));
}

TuneState read_tune_state(const std::string& dir, const TuneSpec& spec) {
  TuneState state;
  std::set<std::string> read;
  for (;;) {  // the plan grows with the results it reads
    state.plan = plan_tune(spec, state.done);
    bool more = false;
    for (const auto& cell : state.plan.cells) {
      if (!read.insert(cell.id).second) continue;
      const auto record = (fs::path(cell_folder(dir, cell.id)) / kCellFile).string();
      if (!fs::exists(record)) continue;
      const auto outcome = read_cell_record(record);
      state.recorded[cell.id] = outcome;
      if (outcome.status == CellStatus::done) {
        state.done[cell.id] = outcome.result;
        more = true;
      } else {
        state.failed.push_back(cell.id);
      }
    }
    if (!more) return state;
  }
}

Cell find_tune_cell(const TuneState& state, const std::string& which) {
  const auto& cells = state.plan.cells;
  for (const auto& cell : cells)
    if (cell.id == which) return cell;
  if (!which.empty() && which.find_first_not_of("0123456789") == std::string::npos) {
    const auto index = std::stoull(which);
    if (index < cells.size()) return cells[index];
  }
  fail("--cell", "'" + which + "' is neither a cell of the plan nor an index below " +
                     std::to_string(cells.size()) + " (tune.json's plan; see results.json)");
}

CellRun run_tune_cell(const std::string& dir, const TuneSpec& spec, const TuneState& state,
                      const Cell& planned, const CellRunner& runner, bool retry_failed) {
  const auto recorded = state.recorded.find(planned.id);
  if (recorded != state.recorded.end() &&
      !(retry_failed && recorded->second.status == CellStatus::failed))
    return CellRun::recorded;
  auto cell = planned;
  if (cell.kind == CellKind::classifier && spec.train_annotator) {
    const auto annotator = dependency(state, kAnnotatorCell);
    if (annotator != CellRun::ran) return annotator;
    cell.config.annotator_dir = absolute_cell_folder(dir, kAnnotatorCell);
  }
  if (!cell.refits.empty()) {
    const auto refits = dependency(state, cell.refits);
    if (refits != CellRun::ran) return refits;
    cell.refits = absolute_cell_folder(dir, cell.refits);
  }
  std::optional<FolderLock> claim;
  try {
    claim.emplace(claim_folder(dir, cell.id), std::vector<std::string>{});
  } catch (const FolderInUse&) {
    return CellRun::held;
  }
  // Another process may have finished it between the state's reading and the claim.
  const auto record = (fs::path(cell_folder(dir, cell.id)) / kCellFile).string();
  if (fs::exists(record) &&
      !(retry_failed && read_cell_record(record).status == CellStatus::failed))
    return CellRun::recorded;
  run_and_record(cell, cell_folder(dir, cell.id), runner);
  return CellRun::ran;
}

TuneState run_sweep(const TuneSpec& spec, const SweepOptions& options, const CellRunner& runner) {
  const auto log = [&](const std::string& line) {
    if (options.log) options.log(line);
  };
  // "ran ID: val 91.2%, test 80.1% (12 s)": one line per cell this call ran, in any process.
  const auto ran = [&](const Cell& cell) {
    const auto record = (fs::path(cell_folder(options.dir, cell.id)) / kCellFile).string();
    if (!fs::exists(record))
      return log("ran " + cell.id + ": no record (" + cell_log(options.dir, cell.id) + ")");
    const auto outcome = read_cell_record(record);
    log("ran " + cell.id + ": " + describe_outcome(cell, outcome) + " (" +
        std::to_string(int64_t(outcome.seconds)) + " s)");
  };
  std::map<pid_t, std::string> running;  // child -> cell
  std::set<std::string> retried;         // failed cells run again by this call
  std::map<std::string, std::chrono::steady_clock::time_point> held;  // by another process
  fs::create_directories(fs::path(options.dir) / kLogs);
  TuneState state;  // as last read: it holds every cell a running child was started for
  for (;;) {
    // Collect the children that ended.
    for (auto it = running.begin(); it != running.end();) {
      int status = 0;
      if (waitpid(it->first, &status, WNOHANG) == it->first) {
        if (WIFEXITED(status) && WEXITSTATUS(status) == kHeldCellExit)
          held[it->second] = std::chrono::steady_clock::now();
        else
          ran(find_tune_cell(state, it->second));
        it = running.erase(it);
      } else {
        ++it;
      }
    }
    const bool stop = options.stop_requested();
    state = read_tune_state(options.dir, spec);
    std::set<std::string> busy;
    for (const auto& [pid, id] : running) busy.insert(id);
    bool pending = false, ran_here = false;
    for (const auto& cell : state.plan.cells) {
      if (stop || int64_t(running.size()) >= options.jobs) break;
      if (busy.count(cell.id) || !options.runs_here(cell)) continue;
      const bool retry = options.retry_failed && !retried.count(cell.id);
      const auto found = held.find(cell.id);
      if (found != held.end() &&
          std::chrono::steady_clock::now() - found->second < std::chrono::seconds(2)) {
        pending = true;
        continue;
      }
      if (options.jobs == 1) {
        const auto outcome = run_tune_cell(options.dir, spec, state, cell, runner, retry);
        if (outcome == CellRun::ran) {
          ran(cell);
          retried.insert(cell.id);
          ran_here = true;
          break;  // read the state again: the plan may have grown
        }
        if (outcome == CellRun::held) held[cell.id] = std::chrono::steady_clock::now();
        pending = pending || outcome == CellRun::held || outcome == CellRun::waiting;
        continue;
      }
      // In a process of its own: check here what the child would find, then start it.
      const auto recorded = state.recorded.find(cell.id);
      if (recorded != state.recorded.end() &&
          !(retry && recorded->second.status == CellStatus::failed))
        continue;
      if (spec.train_annotator && cell.kind == CellKind::classifier) {
        const auto annotator = dependency(state, kAnnotatorCell);
        if (annotator != CellRun::ran) {
          pending = pending || annotator == CellRun::waiting;
          continue;
        }
      }
      if (!cell.refits.empty()) {
        const auto refits = dependency(state, cell.refits);
        if (refits != CellRun::ran) {
          pending = pending || refits == CellRun::waiting;
          continue;
        }
      }
      if (retry) retried.insert(cell.id);
      const auto log_file = cell_log(options.dir, cell.id);
      log("running " + cell.id + " (log: " + log_file + ")");
      running[spawn(options.cell_command(cell.id), log_file)] = cell.id;
      busy.insert(cell.id);
      pending = true;
    }
    if (ran_here) continue;
    if (running.empty() && (stop || !pending)) {
      if (stop) throw train::TrainingInterrupted("reff tune: stopped; the same command resumes");
      return read_tune_state(options.dir, spec);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(running.empty() ? 1000 : 200));
  }
}

}  // namespace reff::experiment
