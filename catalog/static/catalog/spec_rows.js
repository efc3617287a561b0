// SKU specification rows (catalog.widgets.SpecRowsWidget): add and remove name/value rows.
(function () {
  "use strict";
  if (window.catalogSpecRows) return;
  window.catalogSpecRows = true;
  document.addEventListener("click", function (event) {
    const add = event.target.closest("[data-spec-add]");
    const remove = event.target.closest("[data-spec-remove]");
    if (!add && !remove) return;
    event.preventDefault();
    const box = (add || remove).closest("[data-spec-rows]");
    const rows = box.querySelectorAll("[data-spec-row]");
    if (add) {
      const last = rows[rows.length - 1];
      const copy = last.cloneNode(true);
      copy.querySelectorAll("input").forEach(function (input) { input.value = ""; });
      last.after(copy);
      copy.querySelector("input").focus();
      return;
    }
    const row = remove.closest("[data-spec-row]");
    if (rows.length > 1) {
      row.remove();
    } else {
      row.querySelectorAll("input").forEach(function (input) { input.value = ""; });
    }
    box.dispatchEvent(new Event("change", { bubbles: true }));
  });
})();
