#include "reff/experiment/tune_plan.h"

#include "reff/error.h"
#include "reff/run/resolve.h"
#include "reff/train/methods.h"
#include "reff/train/trainer.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <string>

namespace reff::experiment {
namespace {

bool has_lambda(const std::string& method) { return method != "baseline"; }

std::string classifier_id(const std::string& method, double lambda, uint64_t seed) {
  return method + (has_lambda(method) ? "-lambda" + value_text(lambda) : "") + "-seed" +
         std::to_string(seed);
}

struct Planner {
  const TuneSpec& spec;
  const std::map<std::string, nlohmann::json>& done;
  TunePlan plan;

  void add_value(const std::string& method, double lambda) {
    plan.grids[method].push_back(lambda);
    for (auto seed : spec.seeds) {
      Cell cell;
      cell.kind = CellKind::classifier;
      cell.method = method;
      cell.seed = seed;
      static_cast<run::RunConfig&>(cell.config) = tune_config(spec, method, lambda, seed);
      cell.id = classifier_id(method, lambda, seed);
      plan.cells.push_back(cell);
      if (!spec.dfr) continue;
      Cell dfr = cell;
      dfr.method = kDfrMethod;
      dfr.refits = cell.id;
      dfr.id = std::string(kDfrMethod) + "-" + cell.id;
      plan.cells.push_back(dfr);
    }
  }

  // The mean select score of a value's best form (with or without DFR) once every seed's cells
  // are done; nullopt before.
  std::optional<double> value_score(const std::string& method, double lambda) const {
    std::optional<double> best;
    for (const bool dfr : {false, true}) {
      if (dfr && !spec.dfr) continue;
      double sum = 0;
      for (auto seed : spec.seeds) {
        const auto id =
            (dfr ? std::string(kDfrMethod) + "-" : "") + classifier_id(method, lambda, seed);
        const auto found = done.find(id);
        if (found == done.end()) return std::nullopt;
        sum += select_score(found->second);
      }
      const double mean = sum / double(spec.seeds.size());
      if (!best || mean > *best) best = mean;
    }
    return best;
  }

  // One more value beyond the edge where the best sits, when every value is scored.
  std::optional<double> extension(const std::string& method, int64_t& below, int64_t& above) {
    auto values = plan.grids[method];
    std::sort(values.begin(), values.end());
    if (values.size() < 2) return std::nullopt;
    std::optional<double> best_score;
    double best_value = 0;
    for (double value : values) {
      const auto score = value_score(method, value);
      if (!score) return std::nullopt;
      if (!best_score || *score > *best_score) best_score = score, best_value = value;
    }
    if (best_value == values.front() && below < spec.grow) {
      ++below;
      return std::stod(
          value_text(values.front() / kGridStep));  // 1e-06, not 1.0000000000000002e-06
    }
    if (best_value == values.back() && above < spec.grow) {
      ++above;
      return std::stod(value_text(values.back() * kGridStep));
    }
    return std::nullopt;
  }
};

}  // namespace

nlohmann::json TuneSpec::to_json() const {
  nlohmann::json json_methods = nlohmann::json::array();
  for (const auto& m : methods) json_methods.push_back({{"method", m.key}, {"lambdas", m.lambdas}});
  return {{"preset", preset},
          {"dataset", dataset},
          {"base", base},
          {"methods", json_methods},
          {"seeds", seeds},
          {"dfr", dfr},
          {"grow", grow},
          {"annotator_dir", annotator_dir},
          {"train_annotator", train_annotator},
          {"annotator", annotator}};
}

TuneSpec TuneSpec::from_json(const nlohmann::json& json) {
  try {
    TuneSpec spec;
    spec.preset = json.at("preset");
    spec.dataset = json.at("dataset");
    spec.base = json.at("base");
    for (const auto& m : json.at("methods"))
      spec.methods.push_back({m.at("method"), m.at("lambdas")});
    spec.seeds = json.at("seeds").get<std::vector<uint64_t>>();
    spec.dfr = json.at("dfr");
    spec.grow = json.at("grow");
    spec.annotator_dir = json.at("annotator_dir");
    spec.train_annotator = json.at("train_annotator");
    spec.annotator = json.at("annotator");
    return spec;
  } catch (const nlohmann::json::exception& e) {
    throw Error(std::string("tune.json: ") + e.what());
  }
}

std::vector<std::string> default_tune_methods() { return {"baseline", "reff", "reff-focus"}; }

run::RunConfig tune_config(const TuneSpec& spec, const std::string& method, double lambda,
                           uint64_t seed) {
  auto overrides = spec.base;
  overrides["train"]["method"] = method;
  if (has_lambda(method) && lambda > 0) overrides["train"]["lambda"] = lambda;
  overrides["train"]["seed"] = seed;
  overrides["model"]["seed"] = seed;
  if (!spec.annotator_dir.empty() && !spec.train_annotator)
    overrides["annotations"]["annotator_dir"] = spec.annotator_dir;
  return run::resolve(spec.preset, spec.dataset, overrides);
}

std::vector<double> default_grid(const TuneSpec& spec, const std::string& method) {
  train::method_info(method);  // an unknown name: an error naming --methods' known ones
  if (!has_lambda(method)) return {};
  const double center = tune_config(spec, method, 0, 0).train.lambda;
  return {std::stod(value_text(center / kGridStep)), center,
          std::stod(value_text(center * kGridStep))};
}

double select_score(const nlohmann::json& result) {
  return train::selection_score(result.at("val"));
}

std::string TuneEntry::label() const {
  return method + (has_lambda(method) ? " lambda=" + value_text(lambda) : "") +
         (dfr ? " + DFR" : "");
}

TunePlan plan_tune(const TuneSpec& spec, const std::map<std::string, nlohmann::json>& done) {
  REFF_REQUIRE(!spec.seeds.empty(), "--seeds", "must be at least 1");
  REFF_REQUIRE(std::set<uint64_t>(spec.seeds.begin(), spec.seeds.end()).size() == spec.seeds.size(),
               "--seeds", "each seed once");
  REFF_REQUIRE(!spec.methods.empty(), "--methods", "the grid is empty: name at least one method");
  Planner planner{spec, done, {}};
  if (spec.train_annotator) {
    Cell annotator;
    annotator.kind = CellKind::annotator;
    annotator.id = kAnnotatorCell;
    annotator.seed = spec.seeds.front();
    static_cast<run::RunConfig&>(annotator.config) =
        tune_config(spec, "baseline", 0, spec.seeds.front());
    annotator.config.annotator = spec.annotator;
    planner.plan.cells.push_back(annotator);
  }
  for (const auto& method : spec.methods) {
    if (method.lambdas.empty()) planner.add_value(method.key, 0);
    for (double lambda : method.lambdas) planner.add_value(method.key, lambda);
  }
  // Extensions, method by method, as far as the finished cells decide them.
  for (const auto& method : spec.methods) {
    int64_t below = 0, above = 0;
    while (const auto value = planner.extension(method.key, below, above)) {
      planner.add_value(method.key, *value);
      planner.plan.extended[method.key] = "grown " + std::string(below > 0 ? "below" : "above") +
                                          " its grid to " + value_text(*value) + " (" +
                                          std::to_string(below + above) + " of " +
                                          std::to_string(2 * spec.grow) + " steps)";
    }
  }
  for (auto& [method, values] : planner.plan.grids) std::sort(values.begin(), values.end());
  return planner.plan;
}

std::vector<TuneEntry> rank_tune(const std::vector<Cell>& cells,
                                 const std::map<std::string, nlohmann::json>& done,
                                 const std::vector<std::string>& failed) {
  std::vector<TuneEntry> entries;
  const auto entry_of = [&](const Cell& cell) -> TuneEntry& {
    TuneEntry key;
    key.method = cell.config.train.method;
    key.lambda = has_lambda(key.method) ? cell.config.train.lambda : 0;
    key.dfr = cell.method == kDfrMethod;
    for (auto& entry : entries)
      if (entry.method == key.method && entry.lambda == key.lambda && entry.dfr == key.dfr)
        return entry;
    entries.push_back(key);
    return entries.back();
  };
  const std::set<std::string> failed_ids(failed.begin(), failed.end());
  for (const auto& cell : cells) {
    if (cell.kind != CellKind::classifier) continue;
    auto& entry = entry_of(cell);
    const auto found = done.find(cell.id);
    if (found != done.end()) {
      entry.cells.push_back(cell.id);
      entry.scores.push_back(select_score(found->second));
    } else if (failed_ids.count(cell.id)) {
      entry.failed.push_back(cell.id);
    }
  }
  std::vector<TuneEntry> scored;
  for (auto& entry : entries) {
    if (entry.scores.empty()) continue;
    double sum = 0;
    for (double s : entry.scores) sum += s;
    entry.mean = sum / double(entry.scores.size());
    entry.low = *std::min_element(entry.scores.begin(), entry.scores.end());
    entry.high = *std::max_element(entry.scores.begin(), entry.scores.end());
    scored.push_back(entry);
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const TuneEntry& a, const TuneEntry& b) { return a.mean > b.mean; });
  return scored;
}

}  // namespace reff::experiment
