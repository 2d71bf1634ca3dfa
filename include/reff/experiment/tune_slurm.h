// `reff tune --slurm`: a sweep as Slurm jobs, in rounds. A round is
//   DIR/tune.sbatch          the job array's script (written once; --sbatch options as #SBATCH
//                            lines): task K runs `reff tune --out DIR --cell ID`, ID being line
//                            K + 1 of the round's cell list, its output in DIR/logs/ID.log
//   DIR/slurm/round-R.cells  the trained cells of round R (the annotator first, in a job of its
//                            own, when the sweep trains one)
//   DIR/slurm/submit-R.sh    sbatch for the array, then for a collecting job that depends on it
//                            (afterany): `reff tune --out DIR --collect --slurm`
// The collecting job runs the DFR cells, marks each cell whose task ended without a record as
// failed, and submits the next round when the grid grew; else it ranks and writes the report.
#pragma once

#include "reff/experiment/tune_runner.h"

#include <string>
#include <vector>

namespace reff::experiment {

// Writes the next round (the trained cells no process has recorded, holds or submitted before)
// and submits it when sbatch is on PATH (else says how). `options`: sbatch options, kept in
// DIR/slurm/options.txt for later rounds. Returns false when there was nothing to submit.
bool submit_tune_round(const std::string& dir, const std::string& reff,
                       const std::vector<std::string>& options, const TuneState& state);

// Records every submitted cell that has no record and that no process holds as failed, naming
// its log. Returns whether it recorded any.
bool record_lost_cells(const std::string& dir, const TuneState& state);

}  // namespace reff::experiment
