// Opens the texture bank a user names: "gimp" (default; Debian's gimp-data), "dtd" (a folder
// in DTD's layout), "procedural" or "varied" (procedural_texture_bank.h).
#pragma once

#include "reff/data/texture_bank.h"

#include <memory>
#include <string>

namespace reff::data {

struct TextureSource {
  std::string kind = "gimp";  // gimp | dtd | procedural | varied
  std::string path;           // empty: the kind's default (gimp: kGimpPatternDir)
};
extern const char* const kGimpPatternDir;

// Error "--textures: 'x' is not one of gimp, dtd, procedural, varied" for other kinds.
std::shared_ptr<const TextureBank> open_texture_bank(const TextureSource& source);
std::string texture_bank_names(const char* separator = ", ");  // for help lines

}  // namespace reff::data
