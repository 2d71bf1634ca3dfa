// Enumerations named by one table each: parsing, printing and the "is not one of" list of an error
// all come from the table, so a new value is one line in it.
//
//   constexpr reff::Named<Colour> kColours[] = {{Colour::red, "red"}, {Colour::blue, "blue"}};
//   parse_named(kColours, "--colour", text)  // Colour, or Error("--colour: 'x' is not one of red,
//   blue") name_of(kColours, Colour::red)           // "red" names_of(kColours, " | ") // "red |
//   blue", for a help line
#pragma once

#include "reff/error.h"

#include <cstddef>
#include <string>

namespace reff {

template <typename Value>
struct Named {
  Value value;
  const char* name;
};

template <typename Value, std::size_t N>
std::string names_of(const Named<Value> (&table)[N], const char* separator = ", ") {
  std::string names;
  for (std::size_t i = 0; i < N; ++i) names += (i ? separator : "") + std::string(table[i].name);
  return names;
}

// The value named `text`; Error("<where>: '<text>' is not one of <names>") otherwise.
template <typename Value, std::size_t N>
Value parse_named(const Named<Value> (&table)[N], const std::string& where,
                  const std::string& text) {
  for (const auto& entry : table)
    if (text == entry.name) return entry.value;
  throw Error(where + ": '" + text + "' is not one of " + names_of(table));
}

template <typename Value, std::size_t N>
const char* name_of(const Named<Value> (&table)[N], Value value) {
  for (const auto& entry : table)
    if (entry.value == value) return entry.name;
  throw Error("name_of: a value missing from its table");
}

}  // namespace reff
