// Installs the offline shell, stops a second tap from sending a form twice, mounts the card
// form (Stripe Elements) and keeps the tracking card live. Pages work without JavaScript,
// except saving a card, which needs Stripe.js.
"use strict";
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" }).catch(() => {});
}
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.dataset.sent) {
    event.preventDefault();
    return;
  }
  form.dataset.sent = "1";
});

function newKey() {
  return window.crypto && crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random();
}

function cardForm() {
  const form = document.getElementById("card-form");
  if (!form) return;
  const error = document.getElementById("card-error");
  if (!window.Stripe) {
    error.textContent = form.dataset.msgNoScript;
    return;
  }
  const stripe = window.Stripe(form.dataset.key);
  const card = stripe.elements().create("card");
  card.mount("#card-element");
  let key = newKey(); // one SetupIntent per attempt: a retried tap reuses it
  let busy = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy) return;
    busy = true;
    error.textContent = "";
    try {
      const csrf = form.querySelector("input[name=_csrf]").value;
      const started = await fetch(form.dataset.setup, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", "Idempotency-Key": key },
        body: "_csrf=" + encodeURIComponent(csrf),
        credentials: "same-origin",
      });
      if (!started.ok) throw new Error(form.dataset.msgNotStarted);
      const { client_secret: secret } = await started.json();
      const result = await stripe.confirmCardSetup(secret, { payment_method: { card: card } });
      if (result.error) {
        key = newKey();
        throw new Error(result.error.message || form.dataset.msgRefused);
      }
      form.querySelector("input[name=setup_intent]").value = result.setupIntent.id;
      HTMLFormElement.prototype.submit.call(form);
    } catch (failure) {
      error.textContent = failure.message;
      busy = false;
      delete form.dataset.sent;
    }
  });
}

cardForm();

// Tracking: the plotly map (from the installed package, no tiles unless configured) and the
// server-sent `track` events. A change the card cannot show in place reloads the page.
const TRACKED = ["assigned", "en_route", "on_site"];

function figure(track, tiles) {
  const points = [{ name: "Your address", lat: track.site.lat, lng: track.site.lng, colour: "#0b57a4", at: "bottom center" }];
  if (track.position) {
    points.unshift({ name: track.technician || "Technician", lat: track.position.lat, lng: track.position.lng, colour: "#2e7d32", at: "top center" });
  }
  const lat = points.map((p) => p.lat);
  const lng = points.map((p) => p.lng);
  const trace = {
    mode: "lines+markers+text",
    text: points.map((p) => p.name),
    textposition: points.map((p) => p.at),
    marker: { size: 14, color: points.map((p) => p.colour) },
    line: { color: "#486581", width: 2, dash: "dot" },
    hoverinfo: "text",
  };
  const margin = { l: 12, r: 12, t: 30, b: 30 };
  if (tiles) {
    const centre = { lat: (Math.min(...lat) + Math.max(...lat)) / 2, lon: (Math.min(...lng) + Math.max(...lng)) / 2 };
    return {
      data: [{ ...trace, type: "scattermap", lat: lat, lon: lng }],
      layout: {
        margin: margin, showlegend: false,
        map: { style: { version: 8, sources: { t: { type: "raster", tiles: [tiles], tileSize: 256 } }, layers: [{ id: "t", type: "raster", source: "t" }] }, center: centre, zoom: 12 },
      },
    };
  }
  const pad = Math.max(0.003, (Math.max(...lat) - Math.min(...lat) + Math.max(...lng) - Math.min(...lng)) * 0.1);
  const axis = { visible: false, fixedrange: true };
  return {
    data: [{ ...trace, type: "scatter", x: lng, y: lat, cliponaxis: false }],
    layout: {
      margin: margin, showlegend: false, plot_bgcolor: "#e8eef3", paper_bgcolor: "#e8eef3",
      xaxis: { ...axis, range: [Math.min(...lng) - pad, Math.max(...lng) + pad] },
      yaxis: { ...axis, range: [Math.min(...lat) - pad, Math.max(...lat) + pad], scaleanchor: "x", scaleratio: 1 / Math.cos((lat[0] * Math.PI) / 180) },
    },
  };
}

function drawMap(track) {
  const section = document.getElementById("track");
  const map = document.getElementById("track-map");
  if (!section || !map || !window.Plotly) return;
  map.hidden = !track.position;
  if (!track.position) return;
  const fig = figure(track, section.dataset.tiles);
  window.Plotly.react(map, fig.data, fig.layout, { displayModeBar: false, responsive: true, staticPlot: true })
    .then(() => map.setAttribute("data-ready", "1"));
}

function showTrack(track) {
  const set = (id, text) => { const el = document.getElementById(id); if (el && text != null) el.textContent = text; };
  set("status-text", track.status_text);
  set("next-step", track.next);
  set("tech-name", track.technician);
  set("tech-rating", track.rating);
  set("eta", track.arrival || "");
  const section = document.getElementById("track");
  if (section) set("eta-source", track.live ? section.dataset.msgLive : section.dataset.msgPlanned);
  const arrival = document.getElementById("arrival");
  if (arrival) arrival.hidden = !track.arrival;
  drawMap(track);
}

function liveTracking() {
  const next = document.getElementById("next");
  const data = document.getElementById("track-data");
  if (data) drawMap(JSON.parse(data.textContent));
  if (!next || !next.dataset.live || !window.EventSource) return;
  const state = document.getElementById("live-state");
  const source = new EventSource(next.dataset.live);
  source.addEventListener("ready", () => {
    next.setAttribute("data-connected", "1");
    if (state) state.textContent = next.dataset.msgOn;
  });
  source.addEventListener("track", (event) => {
    const track = JSON.parse(event.data);
    const shown = next.dataset.status;
    const inPlace = document.getElementById("track") && TRACKED.includes(track.status) && TRACKED.includes(shown);
    if (track.status !== shown && !inPlace) {
      source.close();
      window.location.reload();
      return;
    }
    next.dataset.status = track.status;
    showTrack(track);
  });
  source.onerror = () => {
    next.removeAttribute("data-connected");
    if (state) state.textContent = next.dataset.msgRetry;
  };
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", liveTracking);
else liveTracking();
