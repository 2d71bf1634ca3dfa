#include "reff/report/run_metrics.h"

#include "reff/train/trainer.h"

#include <cmath>
#include <fstream>
#include <limits>

namespace reff::report {

std::vector<nlohmann::json> read_epochs(const std::string& path) {
  std::vector<nlohmann::json> epochs;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    auto json = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!json.is_discarded() && json.is_object() && json.contains("epoch"))
      epochs.push_back(std::move(json));
  }
  return epochs;
}

double number_at(const nlohmann::json& json, const nlohmann::json::json_pointer& at) {
  return json.contains(at) && json.at(at).is_number() ? json.at(at).get<double>()
                                                      : std::numeric_limits<double>::quiet_NaN();
}

Series series(const std::vector<nlohmann::json>& epochs, const std::string& name,
              const std::string& pointer) {
  Series s{name, {}, {}};
  const nlohmann::json::json_pointer at(pointer);
  for (const auto& epoch : epochs) {
    s.x.push_back(epoch.at("epoch").get<double>());
    s.y.push_back(number_at(epoch, at));
  }
  return s;
}

size_t best_epoch_index(const std::vector<nlohmann::json>& epochs) {
  size_t best = 0;
  for (size_t i = 1; i < epochs.size(); ++i)  // the first of the best, as the trainer keeps it
    if (train::selection_score(epochs[i].at("val")) >
        train::selection_score(epochs[best].at("val")))
      best = i;
  return best;
}

}  // namespace reff::report
