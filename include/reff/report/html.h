// The pieces report.html is made of: escaped text, tables, pictures inlined as data URIs, and
// the page around them (its styles inline), so a report is one file that opens anywhere.
#pragma once

#include <string>
#include <vector>

namespace reff::report {

// &, <, >, " and ' as entities.
std::string escape(const std::string& text);

// A <table> with a header row; cells are HTML (escape text first).
std::string html_table(const std::vector<std::string>& header,
                       const std::vector<std::vector<std::string>>& rows);

// <img> holding the PNG at `path` as a data URI; `alt` describes it.
std::string inline_png(const std::string& path, const std::string& alt);

// A whole HTML document titled `title` around `body`.
std::string html_page(const std::string& title, const std::string& body);

// value x 100 with one decimal and "%" ("-" for NaN).
std::string percent_text(double value);

}  // namespace reff::report
