#include "reff/data/isic2017.h"

#include "reff/error.h"

#include <fstream>
#include <sstream>

namespace reff::data {
namespace {

constexpr const char* kName = "ISIC2017";

std::string folder_word(Split split) {
  switch (split) {
    case Split::train:
      return "Training";
    case Split::val:
      return "Validation";
    case Split::test:
      return "Test_v2";
  }
  return "?";
}

// "0", "1", "0.0", "1.0" -> false / true; anything else is an error.
bool flag(const std::string& text, const std::string& where) {
  std::size_t used = 0;
  double value = -1;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
  }
  REFF_REQUIRE(used == text.size() && (value == 0.0 || value == 1.0), where,
               "'" + text + "' is not 0 or 1");
  return value == 1.0;
}

}  // namespace

std::vector<LabelledImage> isic2017_files(const std::string& dir, Split split) {
  const auto prefix = dir + "/ISIC-2017_" + folder_word(split);
  const auto csv = prefix + "_Part3_GroundTruth.csv";
  require_file(csv, "the Part 3 ground truth CSV", kName);
  std::ifstream in(csv);
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  REFF_REQUIRE(line == "image_id,melanoma,seborrheic_keratosis", csv + ":1",
               "expected the header image_id,melanoma,seborrheic_keratosis");
  std::vector<LabelledImage> files;
  for (int number = 2; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const auto where = csv + ":" + std::to_string(number);
    std::stringstream fields(line);
    std::string id, melanoma, keratosis, extra;
    REFF_REQUIRE(std::getline(fields, id, ',') && std::getline(fields, melanoma, ',') &&
                     std::getline(fields, keratosis, ',') && !std::getline(fields, extra, ','),
                 where, "expected image_id,melanoma,seborrheic_keratosis");
    REFF_REQUIRE(!id.empty() && id.find_first_of("/\\") == std::string::npos && id[0] != '.', where,
                 "'" + id + "' is not an image id");
    const bool is_melanoma = flag(melanoma, where), is_keratosis = flag(keratosis, where);
    REFF_REQUIRE(!(is_melanoma && is_keratosis), where, "both melanoma and seborrheic keratosis");
    LabelledImage file{prefix + "_Data/" + id + ".jpg",
                       prefix + "_Part1_GroundTruth/" + id + "_segmentation.png",
                       is_melanoma    ? 1
                       : is_keratosis ? 2
                                      : 0};
    require_file(file.image, "the image of " + id + " listed in " + where, kName);
    require_file(file.mask, "the lesion segmentation of " + id, kName);
    files.push_back(std::move(file));
  }
  REFF_REQUIRE(!files.empty(), csv, "lists no images");
  return files;
}

TensorDataset load_isic2017(const std::string& dir, Split split, int64_t size) {
  return load_labelled_images(isic2017_files(dir, split), size, MaskEncoding::binary);
}

}  // namespace reff::data
