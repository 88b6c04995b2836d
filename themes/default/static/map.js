// Loads the interactive 高德 map only when asked; without JavaScript the same button is a plain link.
document.addEventListener("click", function (event) {
  var link = event.target.closest("a[data-embed-map]");
  if (!link) return;
  event.preventDefault();
  var frame = document.createElement("iframe");
  frame.src = link.href;
  frame.title = "交互地图";
  frame.style.cssText = "width:100%;height:70vh;border:1px solid #d8cfc4";
  link.replaceWith(frame);
});
