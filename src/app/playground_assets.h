// The policy playground's static files (web/playground/: index.html,
// playground.js, playground.css), embedded into the binary at build time by
// web/playground/embed.cmake: the page needs nothing from the disk or the
// network at run time.
#pragma once

#include <string_view>

#include "admin/router.h"

namespace maskproxy::app {

// The file of that name ("" is index.html); null for any other name.
[[nodiscard]] const admin::Asset* PlaygroundAsset(std::string_view name);

}  // namespace maskproxy::app
