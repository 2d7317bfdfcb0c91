// Behaviour for every page, without inline handlers (the Content-Security-Policy forbids them).
document.addEventListener("change", function (event) {
  var target = event.target;
  if (target.matches && target.matches("select[data-autosubmit]") && target.form) {
    target.form.submit();
  }
});
document.addEventListener("submit", function (event) {
  // Irreversible actions ask first: data-confirm on the form, or on the one button that needs it.
  var form = event.target;
  var button = event.submitter;
  var message = (button && button.getAttribute("data-confirm")) || (form.getAttribute && form.getAttribute("data-confirm"));
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
// One navigation menu open at a time; a click elsewhere closes it.
document.addEventListener("click", function (event) {
  var inside = event.target.closest ? event.target.closest("details.navmenu") : null;
  document.querySelectorAll("details.navmenu[open]").forEach(function (menu) {
    if (menu !== inside) { menu.removeAttribute("open"); }
  });
});
// Long work shows progress and cannot be started twice: a form with data-busy="…" (what the
// server is doing) disables its buttons when sent and says what is happening, with the seconds
// elapsed (no guessed percentage).  With data-upload, a chosen file is sent first by
// XMLHttpRequest so that the bytes sent can be shown.  Without JavaScript the form is sent as usual.
(function () {
  "use strict";

  function megabytes(bytes) {
    return (bytes / 1048576).toFixed(bytes < 10485760 ? 1 : 0) + " MB";
  }

  function statusOf(form) {
    var box = form.querySelector(".busy");
    if (!box) {
      box = document.createElement("div");
      box.className = "busy";
      box.setAttribute("role", "status");
      box.appendChild(document.createElement("progress"));
      box.appendChild(document.createElement("span"));
      form.appendChild(box);
    }
    return { box: box, bar: box.querySelector("progress"), text: box.querySelector("span") };
  }

  function setButtons(form, disabled) {
    form.querySelectorAll("button, input[type=submit]").forEach(function (button) {
      button.disabled = disabled;
    });
  }

  function working(form, status, size, lines) {
    var started = Date.now();
    var what = form.getAttribute("data-busy");
    var sent = size ? "已上传 " + megabytes(size) + (lines ? "，共 " + lines.toLocaleString("en-US") + " 行" : "") + "。" : "";
    status.bar.removeAttribute("value");  // the server's work: indeterminate
    function tick() {
      var seconds = Math.round((Date.now() - started) / 1000);
      status.text.textContent = sent + what +
        "，已用 " + seconds + " 秒，请稍候，不要重复提交。";
    }
    tick();
    return window.setInterval(tick, 1000);
  }

  function failed(form, status, message) {
    status.text.textContent = message;
    status.bar.removeAttribute("value");
    status.bar.hidden = true;
    form.removeAttribute("data-sending");
    setButtons(form, false);
  }

  // The file first (to data-upload, which answers a token), with the bytes sent; then the form
  // itself, with the token instead of the file, as an ordinary navigation: the page stays and
  // says the server is reading until the next page arrives.
  function send(form, input, status, size) {
    var data = new FormData();
    data.append("csrf_token", form.querySelector("input[name=csrf_token]").value);
    data.append("file", input.files[0]);
    var request = new XMLHttpRequest();
    request.open("POST", form.getAttribute("data-upload"));
    request.upload.addEventListener("progress", function (event) {
      if (!event.lengthComputable) { return; }
      status.bar.hidden = false;
      status.bar.max = event.total;
      status.bar.value = event.loaded;
      status.text.textContent = "正在上传：已发送 " + megabytes(event.loaded) + " / " + megabytes(event.total) +
        "（" + Math.floor(event.loaded * 100 / event.total) + "%）";
    });
    request.addEventListener("load", function () {
      var answer = null;
      try { answer = JSON.parse(request.responseText); } catch (ignored) { answer = null; }
      if (request.status !== 200 || !answer || !answer.token) {
        failed(form, status, "未上传：" + ((answer && answer.error) ||
          (request.status === 413 ? "文件超过了允许的大小。" : "服务器没有接收文件（" + request.status + "），请重试。")));
        return;
      }
      var token = document.createElement("input");
      token.type = "hidden";
      token.name = "token";
      token.value = answer.token;
      token.setAttribute("data-sent", "1");
      form.appendChild(token);
      input.disabled = true;  // sent already: the form carries its token
      working(form, status, size, answer.lines);
      form.submit();
    });
    request.addEventListener("error", function () {
      failed(form, status, "上传中断：与服务器的连接出错，文件未导入，请重试。");
    });
    request.send(data);
    status.text.textContent = "正在上传：" + megabytes(size);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-busy")) { return; }
    if (form.hasAttribute("data-sending")) { event.preventDefault(); return; }  // a second click
    if (event.defaultPrevented) { return; }  // not confirmed
    form.setAttribute("data-sending", "1");
    var status = statusOf(form);
    var input = form.querySelector("input[type=file]");
    var size = 0;
    Array.prototype.forEach.call((input && input.files) || [], function (file) { size += file.size; });
    if (size && form.hasAttribute("data-upload") && input.files.length === 1 && window.FormData) {
      event.preventDefault();
      setButtons(form, true);
      send(form, input, status, size);
    } else {
      working(form, status, 0);
      window.setTimeout(function () { setButtons(form, true); }, 0);  // after the form is sent
    }
  });
  // back to a page whose form was sent (the browser's page cache): usable again
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    document.querySelectorAll("form[data-sending]").forEach(function (form) {
      form.removeAttribute("data-sending");
      setButtons(form, false);
      form.querySelectorAll("input[data-sent]").forEach(function (token) { token.remove(); });
      form.querySelectorAll("input[type=file]").forEach(function (input) { input.disabled = false; });
      var box = form.querySelector(".busy");
      if (box) { box.remove(); }
    });
  });
}());
