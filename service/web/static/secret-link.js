// A one-time secret (a set-password token, an applicant's tracking key) travels in the
// link's fragment, after "#": browsers never send the fragment, so no server, proxy or
// Referer log records it. This moves it into the page's form, takes it out of the address
// bar and history, and posts it. No inline script: CSP-friendly.
(function () {
  "use strict";
  var form = document.querySelector("form[data-secret-from-fragment]");
  if (!form || location.hash.length < 2) {
    return;
  }
  var field = form.elements[form.getAttribute("data-secret-from-fragment")];
  try {
    field.value = decodeURIComponent(location.hash.slice(1));
  } catch (malformed) {
    field.value = location.hash.slice(1);
  }
  history.replaceState(null, "", location.pathname);
  form.submit();
})();
