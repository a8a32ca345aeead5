// The technician app's page script. The pages work without it; with it:
// - every action form is sent with an Idempotency-Key, and kept in a queue (localStorage) when
//   the network is down, then sent once when it is back (a retry reuses the key, so the
//   server does it at most once);
// - offers count down to their expiry;
// - the day's route is drawn with plotly.js (served by this app, from the installed package);
// - while on shift or on the way (the server decides: body[data-tracking]), positions from the
//   browser's geolocation are batched and sent; off shift nothing is read or sent.
(() => {
  "use strict";
  const QUEUE_KEY = "fieldhand-tech-queue";
  const PINGS_KEY = "fieldhand-tech-pings";
  const texts = JSON.parse((document.getElementById("texts") || {}).textContent || "{}");
  const say = (key, values) =>
    (texts[key] || key).replace(/\{(\w+)\}/g, (_, name) => (values && name in values ? values[name] : ""));
  const banner = document.getElementById("queue");
  const csrf = document.body.dataset.csrf || "";
  // the server's clock minus this phone's: expiry and position times are told in server time
  const skew = document.body.dataset.now ? Date.parse(document.body.dataset.now) - Date.now() : 0;

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/tech/sw.js", { scope: "/tech/" }).catch(() => {});
  }

  function show(message) {
    if (!banner) return;
    banner.textContent = message;
    banner.hidden = !message;
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  if (document.querySelector("[data-signed-out]")) {
    // signed out on this phone: forget queued work, positions and cached pages
    localStorage.removeItem("fieldhand-tech-queue");
    localStorage.removeItem("fieldhand-tech-pings");
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage("signed-out");
    }
  }

  // ------------------------------------------------------------------ the action queue
  const load = (key) => {
    try {
      return JSON.parse(localStorage.getItem(key) || "[]");
    } catch (_) {
      return [];
    }
  };
  const save = (key, items) => localStorage.setItem(key, JSON.stringify(items));

  function post(item) {
    return fetch(item.url, {
      method: "POST",
      body: item.body,
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "Idempotency-Key": item.key },
    });
  }

  async function reasonOf(response) {
    try {
      const html = new DOMParser().parseFromString(await response.text(), "text/html");
      const message = html.getElementById("message");
      return (message ? message.textContent : response.statusText).trim();
    } catch (_) {
      return String(response.status);
    }
  }

  function enqueue(item, button) {
    const queue = load(QUEUE_KEY);
    queue.push(item);
    save(QUEUE_KEY, queue);
    if (button) {
      button.disabled = true;
      button.classList.add("queued");
    }
    show(say("js.queued", { action: item.label }));
    if (navigator.onLine) setTimeout(flush, 3000); // the network dropped this one: try again soon
  }

  let flushing = false;
  async function flush() {
    if (flushing || !navigator.onLine) return;
    let queue = load(QUEUE_KEY);
    if (!queue.length) return;
    flushing = true;
    const notes = [];
    let landing = null;
    try {
      while (queue.length) {
        const item = queue[0];
        let response;
        try {
          response = await post(item);
        } catch (_) {
          break; // still offline: keep it, same key next time
        }
        if (response.status >= 500 || response.status === 409 && /in-progress/.test(await response.clone().text())) {
          break; // the server could not answer yet: try again later with the same key
        }
        if (response.ok) landing = response.url;
        notes.push(response.ok ? say("js.sent", { action: item.label })
                                : say("js.refused", { action: item.label, reason: await reasonOf(response) }));
        queue = load(QUEUE_KEY).filter((q) => q.key !== item.key);
        save(QUEUE_KEY, queue);
      }
    } finally {
      flushing = false;
    }
    if (notes.length) {
      sessionStorage.setItem("fieldhand-tech-sent", notes.join(" "));
      if (!queue.length) location.assign(landing || location.href);
    }
  }

  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== "post" || "plain" in form.dataset) return;
    event.preventDefault();
    const button = event.submitter;
    if (form.dataset.sending) return; // a second tap while the first is on its way
    const data = new FormData(form, button || undefined);
    if (button && "needsNotes" in button.dataset && !String(data.get("notes") || "").trim()) {
      show(say("js.notes_needed"));
      const notes = form.querySelector("textarea[name=notes]");
      if (notes) notes.focus();
      return;
    }
    const position = lastPosition();
    if (position && form.action.includes("/steps")) {
      data.set("lat", String(position.lat));
      data.set("lng", String(position.lng));
    }
    const item = {
      key: newKey(),
      url: form.action,
      body: new URLSearchParams(data).toString(),
      label: (button && button.dataset.action) || (button && button.textContent.trim()) || form.action,
      at: new Date().toISOString(),
    };
    if (!navigator.onLine) {
      enqueue(item, button);
      return;
    }
    form.dataset.sending = "1";
    try {
      const response = await post(item);
      if (response.status >= 500) {
        enqueue(item, button);
      } else if (response.ok) {
        location.assign(response.url);
      } else {
        document.open();
        document.write(await response.text());
        document.close();
      }
    } catch (_) {
      enqueue(item, button);
    } finally {
      delete form.dataset.sending;
    }
  });

  window.addEventListener("online", flush);
  setInterval(flush, 10000);
  const sent = sessionStorage.getItem("fieldhand-tech-sent");
  if (sent) {
    sessionStorage.removeItem("fieldhand-tech-sent");
    show(sent);
  }
  const waiting = load(QUEUE_KEY).length;
  if (waiting) show(say("js.queue_count", { count: waiting }));
  flush();

  // ------------------------------------------------------------------ offer expiry
  const clocks = Array.from(document.querySelectorAll(".countdown[data-expires]"));
  if (clocks.length) {
    const tick = () => {
      for (const clock of clocks) {
        const left = Math.floor((Date.parse(clock.dataset.expires) - (Date.now() + skew)) / 1000);
        if (left <= 0) {
          clock.textContent = say("js.expired");
          const card = clock.closest(".offer");
          if (card) card.querySelectorAll("button, summary").forEach((b) => { b.disabled = true; b.classList.add("off"); });
        } else {
          clock.textContent = say("js.minutes_seconds", { m: Math.floor(left / 60), s: String(left % 60).padStart(2, "0") });
        }
      }
    };
    tick();
    setInterval(tick, 1000);
  }

  // ------------------------------------------------------------------ the route map
  const figure = document.getElementById("route-figure");
  if (figure && window.Plotly) {
    const spec = JSON.parse(figure.textContent);
    window.Plotly.newPlot("route-map", spec.data, spec.layout, { displayModeBar: false, responsive: true });
  }

  // ------------------------------------------------------------------ location while working
  function lastPosition() {
    const pings = load(PINGS_KEY);
    return pings.length ? pings[pings.length - 1] : null;
  }

  if (document.body.dataset.tracking === "on" && navigator.geolocation) {
    let lastSent = 0;
    let watch = null;
    const sendPings = async () => {
      const pings = load(PINGS_KEY);
      if (!pings.length || !navigator.onLine) return;
      try {
        const response = await fetch("/tech/location", {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
          body: JSON.stringify({ pings: pings.slice(-100) }),
        });
        if (response.ok || response.status === 409 || response.status === 400) {
          save(PINGS_KEY, load(PINGS_KEY).filter((p) => !pings.some((s) => s.recorded_at === p.recorded_at)));
          lastSent = Date.now();
        }
        if (response.status === 409 && watch !== null) {
          navigator.geolocation.clearWatch(watch); // off shift: stop reading the position at all
          watch = null;
        }
      } catch (_) {
        // offline: the batch waits
      }
    };
    watch = navigator.geolocation.watchPosition(
      (pos) => {
        const pings = load(PINGS_KEY);
        pings.push({
          lat: pos.coords.latitude,
          lng: pos.coords.longitude,
          recorded_at: new Date(pos.timestamp + skew).toISOString(),
          accuracy_m: pos.coords.accuracy,
        });
        save(PINGS_KEY, pings.slice(-500));
        if (Date.now() - lastSent > 30000 || pings.length >= 20) sendPings();
      },
      () => {},
      { enableHighAccuracy: true, maximumAge: 15000, timeout: 60000 }
    );
    setInterval(sendPings, 30000);
  } else {
    localStorage.removeItem(PINGS_KEY);
  }

  // a link request being prepared: look again in a moment
  const pending = document.querySelector("[data-reload]");
  if (pending) setTimeout(() => location.reload(), Number(pending.dataset.reload) * 1000);
})();
