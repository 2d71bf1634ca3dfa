#include "reff/report/svg_chart.h"

#include "reff/report/html.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

namespace reff::report {
namespace {

// Colour-blind-safe categorical colours (Okabe and Ito).
constexpr const char* kColours[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                    "#E69F00", "#56B4E9", "#000000", "#F0E442"};

std::string tick_text(double value, bool percent) {
  std::ostringstream text;
  text << (percent ? std::round(value * 1000) / 10 : value);
  return text.str();
}

}  // namespace

std::vector<double> nice_ticks(double low, double high, int count) {
  if (!(high > low)) high = low + 1;
  const double raw = (high - low) / std::max(count - 1, 1);
  const double magnitude = std::pow(10, std::floor(std::log10(raw)));
  double step = magnitude;  // the 1, 2, 5 or 10 x 10^k nearest the raw step
  for (const double factor : {2.0, 5.0, 10.0})
    if (std::abs(std::log(factor * magnitude / raw)) < std::abs(std::log(step / raw)))
      step = factor * magnitude;
  std::vector<double> ticks;
  const auto first = static_cast<int64_t>(std::floor(low / step + 1e-9));
  for (int64_t k = first; k * step <= high + step * 1e-9; ++k) ticks.push_back(k * step);
  if (ticks.back() < high - step * 1e-9) ticks.push_back(ticks.back() + step);
  return ticks;
}

std::string svg_chart(const Chart& chart, int width, int height) {
  double x_low = std::numeric_limits<double>::infinity(), x_high = -x_low;
  double y_low = x_low, y_high = -x_low;
  for (const auto& s : chart.series) {
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.y[i])) continue;
      x_low = std::min(x_low, s.x[i]), x_high = std::max(x_high, s.x[i]);
      y_low = std::min(y_low, s.y[i]), y_high = std::max(y_high, s.y[i]);
    }
  }
  std::ostringstream svg;
  svg << "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width
      << "\" height=\"" << height << "\" viewBox=\"0 0 " << width << " " << height << "\">"
      << "<text x=\"" << width / 2 << "\" y=\"16\" class=\"title\">" << escape(chart.title)
      << "</text>";
  if (!std::isfinite(x_low)) {
    svg << "<text x=\"" << width / 2 << "\" y=\"" << height / 2
        << "\" class=\"title\">no values</text></svg>";
    return svg.str();
  }
  if (chart.percent) y_low = std::min(y_low, 0.0), y_high = std::max(y_high, 1.0);
  // Epochs are whole: no more x ticks than whole steps.
  const int x_count = static_cast<int>(std::min(6.0, std::floor(x_high - x_low) + 1));
  const auto x_ticks = nice_ticks(x_low, x_high, std::max(x_count, 2));
  const auto y_ticks = nice_ticks(y_low, y_high, 5);
  x_low = x_ticks.front(), x_high = x_ticks.back();
  y_low = y_ticks.front(), y_high = y_ticks.back();
  const double left = 58, right = width - 12, top = 28, bottom = height - 66;
  auto px = [&](double x) { return left + (x - x_low) / (x_high - x_low) * (right - left); };
  auto py = [&](double y) { return bottom - (y - y_low) / (y_high - y_low) * (bottom - top); };

  for (const double t : y_ticks) {
    svg << "<line class=\"grid\" x1=\"" << left << "\" x2=\"" << right << "\" y1=\"" << py(t)
        << "\" y2=\"" << py(t) << "\"/><text class=\"tick\" text-anchor=\"end\" x=\"" << left - 5
        << "\" y=\"" << py(t) + 4 << "\">" << tick_text(t, chart.percent) << "</text>";
  }
  for (const double t : x_ticks) {
    svg << "<text class=\"tick\" text-anchor=\"middle\" x=\"" << px(t) << "\" y=\"" << bottom + 15
        << "\">" << tick_text(t, false) << "</text>";
  }
  svg << "<line class=\"axis\" x1=\"" << left << "\" x2=\"" << right << "\" y1=\"" << bottom
      << "\" y2=\"" << bottom << "\"/><line class=\"axis\" x1=\"" << left << "\" x2=\"" << left
      << "\" y1=\"" << top << "\" y2=\"" << bottom << "\"/>"
      << "<text class=\"label\" text-anchor=\"middle\" x=\"" << (left + right) / 2 << "\" y=\""
      << bottom + 30 << "\">" << escape(chart.x_label) << "</text>"
      << "<text class=\"label\" text-anchor=\"middle\" transform=\"translate(14 "
      << (top + bottom) / 2 << ") rotate(-90)\">"
      << escape(chart.y_label + (chart.percent ? " (%)" : "")) << "</text>";

  double legend_x = left, legend_y = height - 16;  // legend rows below the x label
  for (size_t k = 0; k < chart.series.size(); ++k) {
    const auto& s = chart.series[k];
    const char* colour = kColours[k % std::size(kColours)];
    std::ostringstream path;
    bool pen_down = false;
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.y[i])) {
        pen_down = false;
        continue;
      }
      path << (pen_down ? " L" : " M") << px(s.x[i]) << " " << py(s.y[i]);
      svg << "<circle cx=\"" << px(s.x[i]) << "\" cy=\"" << py(s.y[i]) << "\" r=\"2.5\" fill=\""
          << colour << "\"><title>" << escape(s.name) << ", " << escape(chart.x_label) << " "
          << s.x[i] << ": " << s.y[i] << "</title></circle>";
      pen_down = true;
    }
    svg << "<path d=\"" << path.str() << "\" fill=\"none\" stroke=\"" << colour
        << "\" stroke-width=\"1.8\"/>";
    const double legend_width = 24 + 7.0 * static_cast<double>(s.name.size());
    if (legend_x + legend_width > width && legend_x > left) legend_x = left, legend_y += 12;
    svg << "<rect x=\"" << legend_x << "\" y=\"" << legend_y - 5 << "\" width=\"12\" height=\"4\" "
        << "fill=\"" << colour << "\"/><text class=\"legend\" x=\"" << legend_x + 16 << "\" y=\""
        << legend_y << "\">" << escape(s.name) << "</text>";
    legend_x += legend_width;
  }
  svg << "</svg>";
  return svg.str();
}

}  // namespace reff::report
