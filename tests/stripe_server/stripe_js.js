// Stand-in for https://js.stripe.com/v3/, served by the local Stripe test server.
// It offers the calls Fieldhand's card form uses, with Stripe.js's shapes:
//   Stripe(publishableKey) -> .elements() -> .create("card") -> .mount(target) / .on(event, fn)
//   stripe.confirmCardSetup(clientSecret, {payment_method: {card, billing_details}})
//   stripe.confirmSetup({elements, clientSecret, confirmParams, redirect: "if_required"})
// Each confirm resolves to {setupIntent} or {error}, never rejects, like Stripe.js.
// The card element is three plain inputs instead of Stripe's iframe; the card data is sent
// straight to this server's SetupIntent confirm endpoint, as Stripe.js sends it to Stripe.
(function () {
  "use strict";
  var script = document.currentScript;
  var API = new URL(script ? script.src : window.location.href).origin;

  function field(name, label, placeholder, mode) {
    var input = document.createElement("input");
    input.name = name;
    input.setAttribute("aria-label", label);
    input.placeholder = placeholder;
    input.autocomplete = name;
    input.inputMode = mode;
    input.className = "stripe-standin-" + name;
    input.style.cssText = "font:inherit;min-height:44px;padding:8px;border:1px solid #bcccdc;border-radius:6px;min-width:0";
    return input;
  }

  function CardElement() {
    this.listeners = {};
    this.inputs = {
      number: field("cc-number", "Card number", "1234 1234 1234 1234", "numeric"),
      exp: field("cc-exp", "Expiry date", "MM / YY", "numeric"),
      cvc: field("cc-csc", "Security code", "CVC", "numeric"),
    };
  }
  CardElement.prototype.mount = function (target) {
    var node = typeof target === "string" ? document.querySelector(target) : target;
    if (!node) throw new Error("stripe stand-in: mount target not found: " + target);
    node.textContent = "";
    var row = document.createElement("div");
    row.style.cssText = "display:grid;grid-template-columns:1fr 5.5em 4.5em;gap:6px";
    var self = this;
    Object.keys(this.inputs).forEach(function (key) {
      row.appendChild(self.inputs[key]);
      self.inputs[key].addEventListener("input", function () { self.emit("change", self.state()); });
    });
    node.appendChild(row);
    this.node = node;
    setTimeout(function () { self.emit("ready", {}); }, 0);
  };
  CardElement.prototype.on = function (event, fn) {
    (this.listeners[event] = this.listeners[event] || []).push(fn);
    return this;
  };
  CardElement.prototype.emit = function (event, payload) {
    (this.listeners[event] || []).forEach(function (fn) { fn(payload); });
  };
  CardElement.prototype.card = function () {
    var exp = this.inputs.exp.value.replace(/\s/g, "").split("/");
    return {
      number: this.inputs.number.value.replace(/\D/g, ""),
      exp_month: exp[0] || "",
      exp_year: exp[1] || "",
      cvc: this.inputs.cvc.value.replace(/\D/g, ""),
    };
  };
  CardElement.prototype.state = function () {
    var c = this.card();
    return { elementType: "card", empty: !c.number, complete: c.number.length === 16 && !!c.exp_year && c.cvc.length === 3 };
  };
  CardElement.prototype.unmount = function () { if (this.node) this.node.textContent = ""; };
  CardElement.prototype.destroy = CardElement.prototype.unmount;

  function Elements() { this.cards = []; }
  Elements.prototype.create = function (type) {
    if (type !== "card") throw new Error("stripe stand-in: only the card element is offered, not " + type);
    var card = new CardElement();
    this.cards.push(card);
    return card;
  };
  Elements.prototype.getElement = function (type) { return type === "card" ? this.cards[0] || null : null; };

  function encode(data, prefix, out) {
    Object.keys(data).forEach(function (key) {
      var name = prefix ? prefix + "[" + key + "]" : key;
      var value = data[key];
      if (value === undefined || value === null) return;
      if (typeof value === "object") encode(value, name, out);
      else out.push(encodeURIComponent(name) + "=" + encodeURIComponent(value));
    });
    return out;
  }

  function Stripe(key) {
    if (!(this instanceof Stripe)) return new Stripe(key);
    if (typeof key !== "string" || key.indexOf("pk_") !== 0) {
      throw new Error("Invalid API Key provided: use a publishable key (pk_...)");
    }
    this.key = key;
  }
  Stripe.prototype.elements = function () { return new Elements(); };
  Stripe.prototype.confirmCardSetup = function (clientSecret, data) {
    var method = (data && data.payment_method) || {};
    if (!(method.card instanceof CardElement)) {
      return Promise.resolve({ error: { type: "validation_error", message: "No card element given." } });
    }
    var id = String(clientSecret).split("_secret_")[0];
    var body = encode(
      {
        key: this.key,
        client_secret: clientSecret,
        payment_method_data: { type: "card", card: method.card.card(), billing_details: method.billing_details },
      },
      "",
      []
    ).join("&");
    return fetch(API + "/v1/setup_intents/" + encodeURIComponent(id) + "/confirm", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: body,
    })
      .then(function (response) {
        return response.json().then(function (json) {
          if (!response.ok) {
            var error = json.error || {};
            return { error: { type: error.type || "card_error", code: error.code, message: error.message || "The card was declined." } };
          }
          return { setupIntent: json };
        });
      })
      .catch(function () {
        return { error: { type: "api_connection_error", message: "Could not reach Stripe." } };
      });
  };
  Stripe.prototype.confirmSetup = function (options) {
    var card = options.elements && options.elements.getElement("card");
    var details = options.confirmParams && options.confirmParams.payment_method_data;
    return this.confirmCardSetup(options.clientSecret, {
      payment_method: { card: card, billing_details: details && details.billing_details },
    });
  };
  window.Stripe = Stripe;
})();
