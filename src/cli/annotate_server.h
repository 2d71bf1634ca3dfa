// The HTTP side of `reff annotate`: serves the page (web/annotate.html) and the session's images
// and masks on 127.0.0.1 only. Every request needs the token (403 without it); an upload larger
// than kMaxUploadBytes is refused (413), a bad one gets 400 and writes nothing. Routes:
//   GET /                 the page            GET /api/items         the images (JSON)
//   GET /api/image/N      image N's file      GET /api/mask/N        its mask (PNG; 204: none)
//   GET /api/suggest/N    G(x) (PNG)          PUT /api/mask/N        save its mask (PNG body)
#pragma once

#include "reff/annotate/annotation_session.h"

#include <functional>
#include <string>

namespace reff::cli {

struct ServeOptions {
  int port = 0;  // 0: a free port
  std::string token;
};

// Serves until `stop_requested` returns true (polled ten times a second); `ready` receives the
// page's URL once the port is bound. Throws reff::Error when the port cannot be bound.
void serve_annotations(annotate::AnnotationSession& session, const ServeOptions& options,
                       const std::function<void(const std::string& url)>& ready,
                       const std::function<bool()>& stop_requested);

// 32 hex digits from the system's random source.
std::string random_token();

// The page, embedded at build time from web/annotate.html.
const char* annotate_page();

}  // namespace reff::cli
