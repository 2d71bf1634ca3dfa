#include "reff/json_file.h"

#include "reff/error.h"

#include <filesystem>
#include <fstream>

namespace reff {

void write_text_file(const std::string& path, const std::string& text) {
  const auto temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << text;
    out.close();
    if (!out.good()) {
      std::error_code ignored;
      std::filesystem::remove(temporary, ignored);
      throw Error(path + ": cannot write (disk full or folder read-only?)");
    }
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  require(!error, path, "cannot write (" + error.message() + ")");
}

void write_json_file(const std::string& path, const nlohmann::json& json) {
  write_text_file(path, json.dump(2) + "\n");
}

nlohmann::json read_json_file(const std::string& path) {
  std::ifstream in(path);
  require(in.good(), path, "cannot read");
  auto json = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  require(!json.is_discarded(), path, "not valid JSON");
  return json;
}

}  // namespace reff
