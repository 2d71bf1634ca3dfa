#include "reff/report/run_metrics.h"

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
  double best_score = -1;
  for (size_t i = 0; i < epochs.size(); ++i) {
    const auto key = epochs[i].value("/val/selects_on"_json_pointer, std::string("accuracy"));
    const double score = number_at(epochs[i], nlohmann::json::json_pointer("/val/" + key));
    // NaN ranks below every accuracy, yet above "no epoch yet" (trainer.cpp)
    if ((std::isnan(score) ? -0.5 : score) > best_score) {
      best_score = std::isnan(score) ? -0.5 : score;
      best = i;
    }
  }
  return best;
}

}  // namespace reff::report
