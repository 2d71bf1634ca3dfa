// Enumerations named by one table each: parsing, printing and the "is not one of" list of an
// error all come from the table, so a new value is one line in it. For example, with
//   constexpr reff::Named<Colour> kColours[] = {{Colour::red, "red"}, {Colour::blue, "blue"}};
// parse_named(kColours, "--colour", "red") is Colour::red, and "x" throws
// Error("--colour: 'x' is not one of red, blue"); name_of(kColours, Colour::red) is "red";
// names_of(kColours, " | ") is "red | blue", for a help line. find_named returns the entry itself,
// for tables of richer entries (anything with a `name`, such as the method registry). Declaring
// `const auto& name_table(Colour) { return kColours; }` beside the table lets generic code find it
// by the type alone: parse_enum<Colour>(where, text), enum_name(Colour::red).
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

// The names of a table's entries (any range of entries with a `name`), joined by `separator`.
template <typename Table>
std::string names_of(const Table& table, const char* separator = ", ") {
  std::string names;
  for (const auto& entry : table)
    names += (names.empty() ? "" : separator) + std::string(entry.name);
  return names;
}

// The entry named `text`; Error("<where>: '<text>' is not one of <names>") otherwise.
template <typename Table>
const auto& find_named(const Table& table, const std::string& where, const std::string& text) {
  for (const auto& entry : table)
    if (text == entry.name) return entry;
  throw Error(where + ": '" + text + "' is not one of " + names_of(table));
}

template <typename Value, std::size_t N>
Value parse_named(const Named<Value> (&table)[N], const std::string& where,
                  const std::string& text) {
  return find_named(table, where, text).value;
}

template <typename Value, std::size_t N>
const char* name_of(const Named<Value> (&table)[N], Value value) {
  for (const auto& entry : table)
    if (entry.value == value) return entry.name;
  throw Error("name_of: a value missing from its table");
}

// For enumerations that declare their table with name_table (above).
template <typename Enum>
Enum parse_enum(const std::string& where, const std::string& text) {
  return parse_named(name_table(Enum{}), where, text);
}
template <typename Enum>
const char* enum_name(Enum value) {
  return name_of(name_table(value), value);
}

}  // namespace reff
