// The one way a run's configuration is made from a preset, a data set kind and the options given:
// the command line (`reff train`, `reff annotator train`, `reff tune`), the Python package
// (reff.datasets) and the experiment plans all call resolve(), so the same bad input gives the
// same one-line reff::Error wherever it comes from.
#pragma once

#include "reff/run/run_config.h"

#include <nlohmann/json.hpp>

#include <string>

namespace reff::run {

// The preset's config (run_config.h) with the kind's defaults (dataset_kind.h), patched by
// `overrides` in config.json's shape, e.g.
//   {"data": {"data_dir": "my-images", "canvas": 64, "tests": ["shift:1:1"]},
//    "train": {"method": "reff", "lambda": 1e-4}}
// and checked (RunConfig::validate). Beyond a plain patch:
// - train.method brings the method's defaults first; options given beside it override them;
// - data.tests and data.val may be given as the command line writes them (strings), read as the
//   kind reads them; an own folder's test split is its test set unless data.tests is given;
// - a kind that is not generated needs data.data_dir (kept absolute); a data option that does
//   not apply to the kind, an unknown key, or --annotated-n where a kind's files bring the masks
//   is an error naming the option's flag;
// - Textured MNIST's digit fills a canvas smaller than the preset's digit unless digit_size is
//   given; the preset's stand-in backbone is dropped for a model it does not fit unless
//   model.pretrained is given;
// - annotations.annotator_dir brings the annotator's annotated subset (its n, counting, seed),
//   after checking that it was made for this training data.
RunConfig resolve(const std::string& preset, const std::string& dataset,
                  const nlohmann::json& overrides = nlohmann::json::object());

}  // namespace reff::run
