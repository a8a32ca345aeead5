"use strict";
(function () {
  function draw(id) {
    var el = document.getElementById(id);
    var spec = document.getElementById(id + "-figure");
    if (!el || !spec || !window.Plotly) return;
    var fig = JSON.parse(spec.textContent);
    window.Plotly.newPlot(el, fig.data, fig.layout, { responsive: true, displaylogo: false })
      .then(function () { el.setAttribute("data-ready", "1"); });
    el.on && el.on("plotly_click", function (ev) {
      var p = ev.points && ev.points[0];
      if (p && p.customdata) window.location.href = "/console/work-orders/" + p.customdata;
    });
  }
  function start() {
    draw("map");
    draw("board");
    var list = document.getElementById("alert-list");
    if (!list || !window.EventSource) return;
    var live = document.getElementById("live");
    var source = new EventSource("/console/events");
    source.addEventListener("ready", function () { live && live.classList.add("on"); });
    source.addEventListener("alert", function (ev) {
      var a = JSON.parse(ev.data);
      if (document.getElementById("alert-" + a.id)) return;
      var li = document.createElement("li");
      li.id = "alert-" + a.id;
      li.className = "alert " + a.kind.replace(".", "-");
      var node = document.createTextNode(a.subject);
      if (a.work_order_id) {
        var link = document.createElement("a");
        link.href = "/console/work-orders/" + a.work_order_id;
        link.appendChild(node);
        li.appendChild(link);
      } else {
        li.appendChild(node);
      }
      list.insertBefore(li, list.firstChild);
    });
    source.onerror = function () { live && live.classList.remove("on"); };
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
