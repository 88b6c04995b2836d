/* 逐页阅读：阅读页记下读到第几页，书和期刊的页面据此显示「继续阅读第 N 页」。没有 JavaScript 时什么也不做。 */
(function () {
  "use strict";
  var store;
  try { store = window.localStorage; store.getItem("x"); } catch (e) { return; }
  var page = document.querySelector("[data-reader-page]");
  if (page) {
    try { store.setItem("read:" + page.getAttribute("data-reader"), page.getAttribute("data-reader-page")); } catch (e) { /* 存储已满或被禁用 */ }
  }
  var links = document.querySelectorAll("a[data-continue]");
  for (var i = 0; i < links.length; i++) {
    var link = links[i], base = link.getAttribute("data-continue");
    var n = parseInt(store.getItem("read:" + base), 10), count = parseInt(link.getAttribute("data-pages"), 10);
    if (n > 1 && n <= count && /^\/[\w\/-]+\/read\/$/.test(base)) {
      link.href = base + n + "/";
      link.textContent = "继续阅读第 " + n + " " + (link.getAttribute("data-unit") || "页");
      link.hidden = false;
    }
  }
})();
