#include "reff/experiment/tune_slurm.h"

#include "reff/error.h"
#include "reff/file_bytes.h"
#include "reff/folder_lock.h"
#include "reff/json_file.h"

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <set>
#include <sstream>

namespace reff::experiment {
namespace fs = std::filesystem;
namespace {

constexpr const char* kScript = "tune.sbatch";
constexpr const char* kSlurm = "slurm";
constexpr const char* kOptions = "options.txt";

std::string quoted(const std::string& text) {  // for sh, in single quotes
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::vector<std::string> lines_of(const std::string& path) {
  std::vector<std::string> lines;
  if (!fs::exists(path)) return lines;
  std::istringstream in(read_file_bytes(path));
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

std::string lines_text(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  return text;
}

// Every cell some round listed, and the count of rounds.
std::set<std::string> submitted_cells(const std::string& dir, int64_t& rounds) {
  std::set<std::string> cells;
  rounds = 0;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(fs::path(dir) / kSlurm, error)) {
    if (entry.path().extension() != ".cells") continue;
    if (entry.path().stem().string().find("-annotator") == std::string::npos) ++rounds;
    for (const auto& id : lines_of(entry.path().string())) cells.insert(id);
  }
  return cells;
}

bool held(const std::string& dir, const std::string& id) {
  try {
    const FolderLock probe(claim_folder(dir, id), {});
    return false;
  } catch (const FolderInUse&) {
    return true;
  }
}

std::string array_script(const std::string& dir, const std::string& reff,
                         const std::vector<std::string>& options) {
  const auto logs = (fs::absolute(dir) / "logs").string();
  std::string text =
      "#!/bin/bash\n#SBATCH --job-name=reff-tune\n#SBATCH --output=" + logs + "/slurm-%A_%a.out\n";
  for (const auto& option : options) text += "#SBATCH " + option + "\n";
  text +=
      "# reff tune --slurm: task K of a round runs the cell on line K + 1 of the list given as $1\n"
      "CELL=$(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" \"$1\")\n"
      "exec " +
      quoted(reff) + " --threads \"${SLURM_CPUS_PER_TASK:-0}\" tune --out " +
      quoted(fs::absolute(dir).string()) + " --cell \"$CELL\" >> " + quoted(logs) +
      "/\"$CELL.log\" 2>&1\n";
  return text;
}

}  // namespace

bool submit_tune_round(const std::string& dir, const std::string& reff,
                       const std::vector<std::string>& given_options, const TuneState& state) {
  const auto slurm = fs::absolute(dir) / kSlurm;
  fs::create_directories(slurm);
  fs::create_directories(fs::absolute(dir) / "logs");
  const auto options_file = (slurm / kOptions).string();
  if (!fs::exists(options_file)) write_text_file(options_file, lines_text(given_options));
  const auto options = lines_of(options_file);
  const auto script = (fs::absolute(dir) / kScript).string();
  if (!fs::exists(script)) write_text_file(script, array_script(dir, reff, options));

  int64_t rounds = 0;
  const auto submitted = submitted_cells(dir, rounds);
  std::vector<std::string> cells;
  bool annotator = false;
  for (const auto& cell : state.plan.cells) {
    if (!cell.refits.empty() || state.recorded.count(cell.id) || submitted.count(cell.id) ||
        held(dir, cell.id))
      continue;
    if (cell.kind == CellKind::annotator)
      annotator = true;
    else
      cells.push_back(cell.id);
  }
  if (cells.empty() && !annotator) return false;
  const auto round = std::to_string(rounds + 1);
  const auto list = (slurm / ("round-" + round + ".cells")).string();
  const auto annotator_list = (slurm / ("round-" + round + "-annotator.cells")).string();
  std::string extra;
  for (const auto& option : options) extra += " " + quoted(option);
  std::string submit = "#!/bin/sh\n# reff tune --slurm, round " + round +
                       ": run on a machine that submits to the cluster and sees " +
                       fs::absolute(dir).string() + "\nset -e\n";
  std::string after = "";
  if (annotator) {
    write_text_file(annotator_list, std::string(kAnnotatorCell) + "\n");
    submit += "ANNOTATOR=$(sbatch --parsable --array=0-0 " + quoted(script) + " " +
              quoted(annotator_list) + ")\n";
    after = " --dependency=afterany:${ANNOTATOR%%;*}";
  }
  std::string collect_after = after;
  if (!cells.empty()) {
    write_text_file(list, lines_text(cells));
    submit += "CELLS=$(sbatch --parsable --array=0-" + std::to_string(cells.size() - 1) + after +
              " " + quoted(script) + " " + quoted(list) + ")\n";
    collect_after = " --dependency=afterany:${CELLS%%;*}";
  }
  submit += "COLLECT=$(sbatch --parsable" + collect_after +
            " --job-name=reff-tune-collect --output=" +
            quoted((fs::absolute(dir) / "logs" / ("collect-" + round + ".log")).string()) + extra +
            " --wrap=\"" + quoted(reff) + " tune --out " + quoted(fs::absolute(dir).string()) +
            " --collect --slurm\")\n"
            "echo \"reff tune: round " +
            round + " submitted (" + std::to_string(cells.size() + (annotator ? 1 : 0)) +
            " cells): collecting job ${COLLECT%%;*}\"\n";
  const auto submit_path = (slurm / ("submit-" + round + ".sh")).string();
  write_text_file(submit_path, submit);
  if (std::system("command -v sbatch > /dev/null 2>&1") != 0) {
    std::cerr << "reff tune: sbatch is not on PATH here: submit with sh " << submit_path
              << " where it is\n";
    return true;
  }
  REFF_REQUIRE(std::system(("sh " + quoted(submit_path)).c_str()) == 0, submit_path,
               "sbatch refused the jobs (its message is above)");
  return true;
}

bool record_lost_cells(const std::string& dir, const TuneState& state) {
  int64_t rounds = 0;
  bool any = false;
  for (const auto& id : submitted_cells(dir, rounds)) {
    if (state.recorded.count(id) || held(dir, id)) continue;
    const auto folder = cell_folder(dir, id);
    fs::create_directories(folder);
    write_json_file((fs::path(folder) / kCellFile).string(),
                    {{"status", "failed"},
                     {"result", nullptr},
                     {"error", "its Slurm task ended without a record: see " + cell_log(dir, id)},
                     {"seconds", 0.0},
                     {"id", id}});
    any = true;
  }
  return any;
}

}  // namespace reff::experiment
