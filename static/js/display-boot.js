// Before the first paint (a classic script in <head>): projector mode and theme, so the page
// never flashes the other look. projector.js owns the toggles afterwards.
(function () {
  var root = document.documentElement;
  var query = new URLSearchParams(location.search);
  function stored(key) {
    try {
      return localStorage.getItem(key);
    } catch (e) {
      return null;
    }
  }
  var projector = query.get("projector");
  if (projector === null) projector = stored("procviz.projector");
  root.dataset.projector = projector === "1" || projector === "true" ? "1" : "0";
  var theme = query.get("theme") || stored("procviz.theme");
  if (theme !== "dark" && theme !== "light") {
    theme = window.matchMedia && matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }
  root.dataset.theme = theme;
})();
