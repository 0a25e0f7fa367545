/* Replay stepping from the keyboard: the arrow keys follow the page's own
   Prev and Next links, which work without this script. */
document.addEventListener("keydown", function (e) {
  if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) { return; }
  var t = e.target;
  if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) { return; }
  var rel = { ArrowLeft: "prev", ArrowRight: "next" }[e.key];
  var link = rel && document.querySelector('a[rel="' + rel + '"]');
  if (link) {
    e.preventDefault();
    window.location.assign(link.href);
  }
});
