// The API docs page (core/templates/core/swagger_ui.html): what Swagger UI
// leaves out for assistive technology, added as it renders. Its introduction
// becomes a named region (every part of a page in a landmark), and its
// headings say their place under the page's one h1 (tags and the schemas
// h2, inside an operation h3).
"use strict";

const levels = {
  "h3.opblock-tag": "2",
  "section.models > h4": "2",
  ".opblock h4": "3",
  ".opblock h5": "4",
};

function describe() {
  const intro = document.querySelector("#swagger-ui .information-container");
  if (intro && !intro.hasAttribute("role")) {
    intro.setAttribute("role", "region");
    intro.setAttribute("aria-label", "About this API");
  }
  for (const [selector, level] of Object.entries(levels)) {
    for (const heading of document.querySelectorAll(`#swagger-ui ${selector}:not([aria-level])`)) {
      heading.setAttribute("aria-level", level);
    }
  }
}

new MutationObserver(describe).observe(document.getElementById("swagger-ui"), {
  childList: true,
  subtree: true,
});
