// Hearth's API docs: Swagger UI from the vendored swagger-ui-dist bundle (no CDN).
// Requests made from "Try it out" carry the page's CSRF token, like the app's own forms.
(function () {
  "use strict";
  function meta(name) {
    var el = document.querySelector('meta[name="' + name + '"]');
    return el ? el.getAttribute("content") : "";
  }
  window.addEventListener("load", function () {
    window.ui = SwaggerUIBundle({
      url: meta("openapi-url") || "/openapi.json",
      dom_id: "#swagger-ui",
      deepLinking: true,
      layout: "BaseLayout",
      presets: [SwaggerUIBundle.presets.apis],
      requestInterceptor: function (req) {
        var token = meta("csrf-token");
        if (token) { req.headers["X-CSRF-Token"] = token; }
        req.credentials = "same-origin";
        return req;
      }
    });
  });
})();
