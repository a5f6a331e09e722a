/* Board drag and drop: an enhancement over each card's "Move to…" form (which works without JS).
 *
 * A drop posts `to=<STATUS>` to the card's move URL with htmx. The server answers with one of:
 *  - the card, out of band, at the top of its new column (the old one is deleted) + `leadMoved`;
 *  - the move's form, swapped into the <dialog> + `openMoveDialog` (close, schedule, convert…);
 *  - 409/403 + `moveRefused` with the rule's sentence: the card never left its column, we say why.
 * Native HTML5 drag and drop: no library, and the card only moves when the server agrees.
 */
(function () {
  "use strict";

  var dragged = null;

  function board() { return document.getElementById("board"); }
  function dialog() { return document.getElementById("move-dialog"); }

  function say(text, kind) {
    var box = document.getElementById("board-message");
    if (!box) return;
    box.textContent = text;
    box.className = "board-message " + (kind || "error");
    box.hidden = !text;
  }

  function shake(card) {
    if (!card) return;
    card.classList.remove("refused");
    void card.offsetWidth; // restart the animation
    card.classList.add("refused");
  }

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".card[draggable=true]");
    if (!card || !board() || !board().contains(card)) return;
    dragged = card;
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.lead);
  });

  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    document.querySelectorAll(".column.drop-target").forEach(function (c) { c.classList.remove("drop-target"); });
  });

  document.addEventListener("dragover", function (event) {
    var column = dragged && event.target.closest && event.target.closest(".column[data-status]");
    if (!column) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    document.querySelectorAll(".column.drop-target").forEach(function (c) {
      if (c !== column) c.classList.remove("drop-target");
    });
    column.classList.add("drop-target");
  });

  document.addEventListener("drop", function (event) {
    var column = dragged && event.target.closest && event.target.closest(".column[data-status]");
    if (!column) return;
    event.preventDefault();
    column.classList.remove("drop-target");
    var card = dragged;
    var to = column.dataset.status;
    if (to === card.dataset.status) return; // dropped back where it was
    say("");
    card.classList.add("pending");
    htmx.ajax("POST", card.dataset.moveUrl, {
      source: card,
      target: "#" + card.id,
      swap: "outerHTML",
      values: { to: to },
    }).finally(function () { card.classList.remove("pending"); });
  });

  document.body.addEventListener("moveRefused", function (event) {
    var detail = event.detail || {};
    if (dialog() && dialog().open) dialog().close();
    say(detail.message || "This move is not allowed.");
    shake(document.getElementById("lead-" + detail.lead));
  });

  document.body.addEventListener("htmx:responseError", function (event) {
    // A refusal already said why (moveRefused); anything else still deserves a sentence.
    var xhr = event.detail.xhr;
    if (xhr && xhr.getResponseHeader("HX-Trigger")) return;
    say(xhr && xhr.status === 403 ? "You may not do this." : "Something went wrong; please try again.");
  });

  document.body.addEventListener("openMoveDialog", function () {
    var d = dialog();
    if (d && !d.open) d.showModal();
    var first = d && d.querySelector("select, input:not([type=hidden]), textarea");
    if (first) first.focus();
  });

  document.body.addEventListener("leadMoved", function (event) {
    if (dialog() && dialog().open) dialog().close();
    if (event.detail && event.detail.message) say(event.detail.message, "ok");
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-close-dialog]") && dialog()) dialog().close();
  });
})();
