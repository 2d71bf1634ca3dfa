#include "reff/data/oxford_pets.h"

#include "reff/data/rng.h"
#include "reff/error.h"

#include <fstream>
#include <map>
#include <sstream>

namespace reff::data {
namespace {

constexpr const char* kName = "Oxford-IIIT Pet";

std::vector<LabelledImage> read_list(const std::string& dir, const std::string& list) {
  require_file(list, "the split list", kName);
  std::ifstream in(list);
  std::vector<LabelledImage> files;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    const auto where = list + ":" + std::to_string(number);
    std::stringstream fields(line);
    std::string name;
    int64_t class_id = 0, species = 0, breed = 0;
    REFF_REQUIRE(static_cast<bool>(fields >> name >> class_id >> species >> breed), where,
                 "expected 'NAME CLASS-ID SPECIES BREED-ID'");
    REFF_REQUIRE(class_id >= 1 && class_id <= kOxfordPetsClasses, where,
                 "class id " + std::to_string(class_id) + " is not in 1..37");
    REFF_REQUIRE(name.find_first_of("/\\") == std::string::npos && name[0] != '.', where,
                 "'" + name + "' is not an image name");
    LabelledImage file{dir + "/images/" + name + ".jpg",
                       dir + "/annotations/trimaps/" + name + ".png", class_id - 1};
    require_file(file.image, "the image of " + name + " listed in " + where, kName);
    require_file(file.mask, "the trimap of " + name, kName);
    files.push_back(std::move(file));
  }
  REFF_REQUIRE(!files.empty(), list, "lists no images");
  return files;
}

}  // namespace

std::vector<LabelledImage> oxford_pets_files(const std::string& dir, Split split,
                                             const SplitOptions& options) {
  if (split == Split::test) return read_list(dir, dir + "/annotations/test.txt");
  const auto all = read_list(dir, dir + "/annotations/trainval.txt");
  // Per class, a seeded shuffle; the first val_share of each class (rounded) goes to val.
  std::map<int64_t, std::vector<size_t>> by_class;
  for (size_t i = 0; i < all.size(); ++i) by_class[all[i].label].push_back(i);
  std::vector<bool> is_val(all.size(), false);
  for (auto& [label, members] : by_class) {
    Rng rng(options.seed, 0x9E75 + static_cast<uint64_t>(label));
    for (size_t i = members.size(); i > 1; --i) std::swap(members[i - 1], members[rng.below(i)]);
    const auto val_count =
        static_cast<size_t>(options.val_share * static_cast<double>(members.size()) + 0.5);
    for (size_t k = 0; k < val_count; ++k) is_val[members[k]] = true;
  }
  std::vector<LabelledImage> files;
  for (size_t i = 0; i < all.size(); ++i)
    if (is_val[i] == (split == Split::val)) files.push_back(all[i]);
  REFF_REQUIRE(!files.empty(), dir + "/annotations/trainval.txt",
               "too few images for a " + split_name(split) + " split");
  return files;
}

TensorDataset load_oxford_pets(const std::string& dir, Split split, int64_t size,
                               const SplitOptions& options) {
  return load_labelled_images(oxford_pets_files(dir, split, options), size, MaskEncoding::trimap);
}

}  // namespace reff::data
