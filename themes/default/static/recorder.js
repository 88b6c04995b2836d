// 心得 page: where the browser can record (MediaRecorder), one big button records, stops and replays, and the
// recording goes into the form's voice field, so submitting works as if a file had been chosen. Without it the
// plain file field (the phone's own recorder) stays.
(function () {
  var box = document.getElementById("recorder"), input = document.getElementById("voice");
  if (!box || !input || !window.MediaRecorder || !window.DataTransfer || !(navigator.mediaDevices && navigator.mediaDevices.getUserMedia)) return;
  var max = parseInt(box.getAttribute("data-max-seconds"), 10) || 300;
  var button = document.createElement("button"), status = document.createElement("p"), player = document.createElement("audio");
  button.type = "button"; button.className = "btn"; button.textContent = "开始录音";
  status.className = "meta"; status.setAttribute("role", "status");
  player.controls = true; player.hidden = true;
  box.append(button, status, player);
  // Stopped 5 s before the server's limit, measured by the clock: interval ticks lag on a slow phone.
  var recorder = null, timer = 0, seconds = 0, started = 0, stopAt = Math.max(1, max - 5);

  function stop() { if (recorder && recorder.state === "recording") recorder.stop(); }

  button.addEventListener("click", function () {
    if (recorder && recorder.state === "recording") return stop();
    navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
      var parts = [];
      recorder = new MediaRecorder(stream);
      recorder.ondataavailable = function (event) { if (event.data.size) parts.push(event.data); };
      recorder.onstop = function () {
        clearInterval(timer);
        seconds = Math.round((Date.now() - started) / 1000);
        stream.getTracks().forEach(function (track) { track.stop(); });
        var type = (recorder.mimeType || "audio/webm").split(";")[0];
        var file = new File(parts, "luyin." + (type.indexOf("mp4") >= 0 ? "m4a" : type.split("/")[1]), { type: type });
        var list = new DataTransfer();
        list.items.add(file);
        input.files = list.files;
        player.src = URL.createObjectURL(file);
        player.hidden = false;
        button.textContent = "重新录一段";
        status.textContent = "录好了（" + seconds + " 秒），可以先听一听，再点「提交心得」。";
      };
      seconds = 0;
      started = Date.now();
      recorder.start();
      button.textContent = "录完了，停止";
      status.textContent = "正在录音……";
      timer = setInterval(function () {
        seconds = Math.floor((Date.now() - started) / 1000);
        status.textContent = "正在录音 " + seconds + " 秒（最长 " + Math.floor(max / 60) + " 分钟）";
        if (seconds >= stopAt) stop();
      }, 1000);
    }, function () {
      status.textContent = "没能打开话筒。请在浏览器里允许使用话筒，或者用下面的按钮选择手机录好的声音。";
    });
  });
})();
