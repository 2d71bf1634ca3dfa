// Line charts as inline SVG for report.html: axes with round ticks, labelled, one coloured line
// per series with a legend. Plain SVG rather than a charting library: the report stays one file
// that needs no script to show its curves, and the charts reff draws are simple.
#pragma once

#include <string>
#include <vector>

namespace reff::report {

struct Series {
  std::string name;
  std::vector<double> x, y;  // one point per entry; NaN y: no point (a gap)
};

struct Chart {
  std::string title, x_label, y_label;
  std::vector<Series> series;
  bool percent = false;  // y in [0, 1] shown as 0-100 %
};

// An <svg> element (width x height pixels). A chart without a finite point says so.
std::string svg_chart(const Chart& chart, int width = 460, int height = 280);

// Round tick values covering [low, high], about `count` of them (1, 2, 5 x 10^k steps).
std::vector<double> nice_ticks(double low, double high, int count = 5);

}  // namespace reff::report
