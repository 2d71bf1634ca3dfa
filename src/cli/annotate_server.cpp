#include "annotate_server.h"

#include "reff/annotate/mask_upload.h"
#include "reff/error.h"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <thread>

namespace reff::cli {
namespace {

// Compares every character, so the time taken does not tell how much of a guess was right.
bool same_token(const std::string& given, const std::string& token) {
  if (given.size() != token.size()) return false;
  unsigned char difference = 0;
  for (size_t i = 0; i < token.size(); ++i) difference |= given[i] ^ token[i];
  return difference == 0;
}

// Runs a handler on the image the path's number names: 404 for none, 400 for reff::Error.
using ImageHandler = std::function<void(int64_t, const httplib::Request&, httplib::Response&)>;
httplib::Server::Handler on_image(annotate::AnnotationSession& session, ImageHandler handler) {
  return [&session, handler](const httplib::Request& request, httplib::Response& response) {
    const auto& digits = request.matches[1].str();
    const int64_t index = digits.size() > 9 ? -1 : std::stoll(digits);
    if (index < 0 || index >= session.size()) {
      response.status = 404;
      response.set_content("no such image", "text/plain");
      return;
    }
    try {
      handler(index, request, response);
    } catch (const Error& error) {
      response.status = 400;
      response.set_content(error.what(), "text/plain");
    }
  };
}

}  // namespace

std::string random_token() {
  std::random_device source;
  std::string token;
  for (int i = 0; i < 4; ++i) {
    char part[9];
    std::snprintf(part, sizeof part, "%08x", source());
    token += part;
  }
  return token;
}

void serve_annotations(annotate::AnnotationSession& session, const ServeOptions& options,
                       const std::function<void(const std::string& url)>& ready,
                       const std::function<bool()>& stop_requested) {
  httplib::Server server;
  server.set_payload_max_length(annotate::kMaxUploadBytes);
  server.set_pre_routing_handler([&](const httplib::Request& request, httplib::Response& response) {
    if (same_token(request.get_param_value("token"), options.token))
      return httplib::Server::HandlerResponse::Unhandled;
    response.status = 403;
    response.set_content("wrong or missing token: open the URL reff annotate printed",
                         "text/plain");
    return httplib::Server::HandlerResponse::Handled;
  });
  server.Get("/", [](const httplib::Request&, httplib::Response& response) {
    response.set_content(annotate_page(), "text/html; charset=utf-8");
  });
  server.Get("/api/items", [&](const httplib::Request&, httplib::Response& response) {
    response.set_content(session.listing().dump(), "application/json");
  });
  using httplib::Request, httplib::Response;
  server.Get(R"(/api/image/(\d+))", on_image(session, [&](int64_t i, const Request&, Response& r) {
               auto file = session.image(i);
               r.set_content(std::move(file.bytes), file.content_type);
             }));
  server.Get(R"(/api/mask/(\d+))", on_image(session, [&](int64_t i, const Request&, Response& r) {
               const auto png = session.mask_png(i);
               if (png) return r.set_content(*png, "image/png");
               r.status = 204;  // no mask yet
             }));
  server.Get(R"(/api/suggest/(\d+))",
             on_image(session, [&](int64_t i, const Request&, Response& r) {
               r.set_content(session.suggestion_png(i), "image/png");
             }));
  server.Put(R"(/api/mask/(\d+))",
             on_image(session, [&](int64_t i, const Request& request, Response& r) {
               session.save(i, request.body);
               r.status = 204;
             }));
  server.set_exception_handler(
      [](const httplib::Request&, httplib::Response& response, std::exception_ptr) {
        response.status = 500;
        response.set_content("internal error", "text/plain");
      });

  const std::string host = "127.0.0.1";
  const int port = options.port == 0
                       ? server.bind_to_any_port(host)
                       : (server.bind_to_port(host, options.port) ? options.port : -1);
  REFF_REQUIRE(port > 0, "--port " + std::to_string(options.port),
               "cannot listen on 127.0.0.1 (port in use?)");
  std::atomic<bool> finished{false};
  std::thread stopper([&] {
    while (!stop_requested() && !finished)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    server.stop();
  });
  ready("http://" + host + ":" + std::to_string(port) + "/?token=" + options.token);
  server.listen_after_bind();
  finished = true;
  stopper.join();
}

}  // namespace reff::cli
