// The city's page-view count (everyone, unless Do-Not-Track) and, for logged-in members only, a study beat every
// 30 seconds the page is visible. Anonymous readers send no beats: the dangshi_in flag cookie exists only for members.
(function () {
  var nav = navigator, doc = document;
  if (!nav.sendBeacon) return;
  var holder = doc.querySelector("[data-item]");
  var item = holder ? parseInt(holder.getAttribute("data-item"), 10) || null : null;
  function send(url, data) {
    try { nav.sendBeacon(url, JSON.stringify(data)); } catch (e) { /* a lost count, never a broken page */ }
  }
  if (nav.doNotTrack !== "1") send("/api/stats/view", { page: item, path: location.pathname });
  if (!item || !/(^|;\s*)dangshi_in=1(;|$)/.test(doc.cookie)) return;

  var media = doc.querySelector("video, audio"), visible = 0;
  function id() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    for (var hex = "", i = 0; i < 32; i++) hex += Math.floor(Math.random() * 16).toString(16);
    return hex;
  }
  function position() {
    if (media) return Math.floor(media.currentTime);
    var page = parseInt(holder.getAttribute("data-position"), 10);
    return isNaN(page) ? null : page;
  }
  // Counted in visible seconds: a hidden tab (Page Visibility API) pauses the count, it does not reset it.
  setInterval(function () {
    if (doc.visibilityState === "hidden" || ++visible % 30) return;
    var beat = { page: item, seconds: 30, beat: id() }, at = position();
    if (at !== null) beat.position = at;
    send("/api/learning/beats", beat);
  }, 1000);
})();
