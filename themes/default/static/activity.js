// 未开始 / 直播中 / 已结束 from the phone's clock (no server call); after the end the replay leads. Without it the
// schedule and the replay link both show already.
(function () {
  var live = document.querySelector(".live[data-starts]");
  if (!live) return;
  var starts = Date.parse(live.getAttribute("data-starts")), ends = Date.parse(live.getAttribute("data-ends"));
  var state = live.querySelector(".state"), video = live.querySelector("video"), replay = live.querySelector(".replay");
  if (isNaN(starts) || isNaN(ends) || !state) return;
  function show() {
    var now = Date.now();
    state.textContent = now < starts ? "未开始" : now < ends ? "直播中" : "已结束";
    state.hidden = false;
    if (now >= ends && replay) {
      if (video) video.hidden = true; // the stream is over: the replay is what to watch
      live.insertBefore(replay, live.children[1] || null);
    }
  }
  show();
  setInterval(show, 30000);
})();
