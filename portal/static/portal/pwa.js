/* The portal as an installable app, as progressive enhancement: every page works without this.
   - registers the practice's service worker (when the script tag names it: signed-in clients);
   - "Keep my safety plan on this device" on the safety plan page (#offline-optin);
   - "Notifications on this device" in settings (#push-panel): Web Push per device;
   - the "Install the app now" button where the browser offers one (#install page).
   Every wording comes from the page (data-text-*), so it is translated with the page. */
(function () {
  "use strict";

  var script = document.currentScript;
  var workerUrl = script && script.getAttribute("data-service-worker");
  var hasWorker = "serviceWorker" in navigator;

  function registration() {
    if (!hasWorker || !workerUrl) return Promise.reject(new Error("no service worker"));
    return navigator.serviceWorker.register(workerUrl, {scope: "/"});
  }

  function activeRegistration() {
    return registration().then(function () { return navigator.serviceWorker.ready; });
  }

  function csrfToken(element) {
    var field = element.querySelector("input[name=csrfmiddlewaretoken]") ||
      document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function say(element, text) {
    if (element) element.textContent = text || "";
  }

  /* --- keeping the safety plan on this device ------------------------------------------- */

  function offlineOptIn(section) {
    if (!hasWorker || !("caches" in window) || !workerUrl) return;
    var cacheName = section.getAttribute("data-saved-cache");
    var urls = JSON.parse(section.getAttribute("data-saved-urls"));
    var status = section.querySelector("[data-offline-status]");
    var on = section.querySelector("[data-offline-on]");
    var off = section.querySelector("[data-offline-off]");

    function show(isKept) {
      on.hidden = isKept;
      off.hidden = !isKept;
      say(status, section.getAttribute(isKept ? "data-text-on" : "data-text-off"));
    }

    function failed() {
      say(status, section.getAttribute("data-text-failed"));
    }

    section.hidden = false;
    caches.has(cacheName).then(show);
    on.addEventListener("click", function () {
      // The worker must be running first: it answers these pages when the network is down.
      activeRegistration()
        .then(function () { return caches.open(cacheName); })
        .then(function (cache) {
          return cache.addAll(urls.map(function (url) {
            return new Request(url, {credentials: "same-origin", redirect: "error"});
          }));
        })
        .then(function () { show(true); }, function () {
          caches.delete(cacheName).then(failed, failed);
        });
    });
    off.addEventListener("click", function () {
      caches.delete(cacheName).then(function () { show(false); }, failed);
    });
  }

  /* --- Web Push on this device --------------------------------------------------------- */

  function applicationServerKey(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    base64 += "====".slice(base64.length % 4 || 4);
    var raw = atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var index = 0; index < raw.length; index += 1) bytes[index] = raw.charCodeAt(index);
    return bytes;
  }

  function postJson(url, body, token) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": token},
      body: JSON.stringify(body),
    }).then(function (response) {
      if (!response.ok) throw new Error("refused: " + response.status);
      return response;
    });
  }

  function pushPanel(panel) {
    var status = panel.querySelector("[data-push-status]");
    var enable = panel.querySelector("[data-push-enable]");
    var disable = panel.querySelector("[data-push-disable]");
    var token = csrfToken(panel);
    if (!hasWorker || !workerUrl || !("PushManager" in window) || !("Notification" in window)) {
      say(status, panel.getAttribute("data-text-unsupported"));
      return;
    }

    function show(isOn) {
      enable.hidden = isOn;
      disable.hidden = !isOn;
      say(status, panel.getAttribute(isOn ? "data-text-on" : "data-text-off"));
    }

    function failed() {
      say(status, panel.getAttribute(Notification.permission === "denied"
        ? "data-text-denied" : "data-text-failed"));
    }

    activeRegistration()
      .then(function (worker) { return worker.pushManager.getSubscription(); })
      .then(function (subscription) { show(subscription !== null); }, failed);

    enable.addEventListener("click", function () {
      activeRegistration()
        .then(function (worker) {
          return worker.pushManager.subscribe({
            userVisibleOnly: true,
            applicationServerKey: applicationServerKey(panel.getAttribute("data-public-key")),
          });
        })
        .then(function (subscription) {
          return postJson(panel.getAttribute("data-subscribe-url"), subscription.toJSON(), token);
        })
        .then(function () { window.location.reload(); }, failed);
    });

    disable.addEventListener("click", function () {
      activeRegistration()
        .then(function (worker) { return worker.pushManager.getSubscription(); })
        .then(function (subscription) {
          if (!subscription) return null;
          var endpoint = subscription.endpoint;
          return subscription.unsubscribe().then(function () {
            return postJson(panel.getAttribute("data-unsubscribe-url"), {endpoint: endpoint},
                            token).catch(function () { return null; });
          });
        })
        .then(function () { window.location.reload(); }, failed);
    });
  }

  /* --- installing --------------------------------------------------------------------- */

  function installButton(box) {
    window.addEventListener("beforeinstallprompt", function (event) {
      event.preventDefault();
      box.hidden = false;
      box.querySelector("[data-install-button]").addEventListener("click", function () {
        box.hidden = true;
        event.prompt();
      }, {once: true});
    });
  }

  if (workerUrl && hasWorker) {
    registration().catch(function () { /* the pages work without it */ });
  }
  var optIn = document.getElementById("offline-optin");
  if (optIn) offlineOptIn(optIn);
  var panel = document.getElementById("push-panel");
  if (panel) pushPanel(panel);
  var install = document.querySelector("[data-install]");
  if (install) installButton(install);
})();
