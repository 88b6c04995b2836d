// 「大字」 and 「朗读」 for older readers. Loaded with defer; without it the pages are already 19px and complete.
(function () {
  var doc = document, root = doc.documentElement, KEY = "dangshi-big-text";

  function store(value) {
    try { if (value) localStorage.setItem(KEY, "1"); else localStorage.removeItem(KEY); } catch (e) { /* private mode: not remembered */ }
  }
  function stored() {
    try { return localStorage.getItem(KEY) === "1"; } catch (e) { return false; }
  }
  function button(label, className) {
    var b = doc.createElement("button");
    b.type = "button";
    b.className = className;
    b.textContent = label;
    return b;
  }

  // 大字: one class on <html>; the theme's CSS raises body text to 24px. Remembered on this phone.
  var bar = doc.querySelector(".top .bar");
  if (bar) {
    var big = button("大字", "tool");
    var show = function (on) {
      root.classList.toggle("big", on);
      big.setAttribute("aria-pressed", on ? "true" : "false");
    };
    show(stored());
    big.addEventListener("click", function () {
      var on = !root.classList.contains("big");
      show(on);
      store(on);
    });
    bar.insertBefore(big, bar.children[1] || null);
  }

  // 按我的位置排序: on a district's list of red sites, where the phone may tell its position (it never leaves the phone).
  var sites = doc.querySelector("ol[data-near]");
  if (sites && navigator.geolocation) {
    var near = button("按我的位置排序", "btn");
    near.addEventListener("click", function () {
      near.disabled = true;
      near.textContent = "正在获取位置…";
      navigator.geolocation.getCurrentPosition(function (position) {
        var lat = position.coords.latitude, lng = position.coords.longitude;
        var rows = Array.prototype.map.call(sites.children, function (li) {
          var km = distanceKm(lat, lng, parseFloat(li.getAttribute("data-lat")), parseFloat(li.getAttribute("data-lng")));
          var far = li.querySelector(".far");
          if (far) far.textContent = "离您约 " + km.toFixed(1) + " 公里";
          return [km, li];
        });
        rows.sort(function (a, b) { return a[0] - b[0]; });
        rows.forEach(function (row) { sites.appendChild(row[1]); });
        near.textContent = "已按离您的远近排序";
      }, function () {
        near.disabled = false;
        near.textContent = "没能取得位置，再试一次";
      }, {timeout: 15000, maximumAge: 600000});
    });
    sites.parentNode.insertBefore(near, sites);
  }
  function distanceKm(lat1, lng1, lat2, lng2) {  // haversine, as site_builder/geo.py
    var rad = Math.PI / 180, dLat = (lat2 - lat1) * rad, dLng = (lng2 - lng1) * rad;
    var h = Math.pow(Math.sin(dLat / 2), 2) + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.pow(Math.sin(dLng / 2), 2);
    return 2 * 6371.0088 * Math.asin(Math.min(1, Math.sqrt(h)));
  }

  // 朗读: the browser's own Chinese voice reads [data-read-aloud] text aloud; no button where none exists.
  var speech = window.speechSynthesis, Utterance = window.SpeechSynthesisUtterance;
  var blocks = doc.querySelectorAll("[data-read-aloud]");
  if (!speech || !Utterance || !blocks.length) return;
  var zh = null, added = false;
  function findVoice() {
    var voices = speech.getVoices() || [];
    for (var i = 0; i < voices.length; i++) {
      var lang = (voices[i].lang || "").toLowerCase().replace("_", "-");
      if (lang.indexOf("zh") === 0 && (!zh || lang === "zh-cn")) zh = voices[i];
    }
    return zh;
  }
  function sentences(text) {
    // Short utterances: some engines stop after ~15 s of one long one.
    return (text.replace(/\s+/g, " ").match(/[^。！？!?；;\n]+[。！？!?；;]*/g) || []).filter(function (s) { return s.trim(); });
  }
  var playing = null;
  function stop() {
    speech.cancel();
    if (playing) { playing.textContent = "朗读"; playing.setAttribute("aria-pressed", "false"); }
    playing = null;
  }
  function read(b, block) {
    var parts = sentences(block.innerText || block.textContent || "");
    playing = b;
    b.textContent = "停止朗读";
    b.setAttribute("aria-pressed", "true");
    parts.forEach(function (part, i) {
      var u = new Utterance(part);
      u.lang = "zh-CN";
      u.voice = zh;
      u.rate = 0.9;
      if (i === parts.length - 1) u.onend = function () { if (playing === b) stop(); };
      speech.speak(u);
    });
  }
  function addButtons() {
    if (added || !findVoice()) return;
    added = true;
    Array.prototype.forEach.call(blocks, function (block) {
      var b = button("朗读", "btn read");
      b.setAttribute("aria-pressed", "false");
      b.addEventListener("click", function () {
        var mine = playing === b;
        stop();
        if (!mine) read(b, block);
      });
      block.parentNode.insertBefore(b, block);
    });
    window.addEventListener("pagehide", stop);
  }
  addButtons();
  if (!added && "onvoiceschanged" in speech) speech.addEventListener("voiceschanged", addButtons);
})();
