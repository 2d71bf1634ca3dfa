#include "reff/json_file.h"

#include "reff/error.h"

#include <filesystem>
#include <fstream>
#include <limits>

namespace reff {

void write_text_file(const std::string& path, const std::string& text) {
  const auto temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
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
  REFF_REQUIRE(!error, path, "cannot write (" + error.message() + ")");
}

void write_json_file(const std::string& path, const nlohmann::json& json) {
  write_text_file(path, json.dump(2) + "\n");
}

nlohmann::json read_json_file(const std::string& path) {
  std::ifstream in(path);
  REFF_REQUIRE(in.good(), path, "cannot read");
  auto json = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  REFF_REQUIRE(!json.is_discarded(), path, "not valid JSON");
  return json;
}

int64_t json_integer(const nlohmann::json& value, const std::string& where) {
  REFF_REQUIRE(value.is_number_integer() &&
                   !(value.is_number_unsigned() &&
                     value.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max())),
               where, "expected an integer, not " + value.dump().substr(0, 40));
  return value.get<int64_t>();
}

}  // namespace reff
