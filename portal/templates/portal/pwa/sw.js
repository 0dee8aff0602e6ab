/* The practice's service worker: served by portal/views/pwa.py, configured in portal/pwa.py.
   Progressive: a browser without it gets the same pages from the network. What it keeps:
   - the app shell (styles, script, icon, the offline page), always;
   - the safety plan and crisis help, only while the client has opted in on this device (the
     cache CONFIG.savedCache exists), refreshed at each visit with the network up.
   Signing out deletes every cache. Push messages carry fixed wording and a path, never PHI. */
"use strict";
const CONFIG = {{ config|safe }};

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CONFIG.shellCache);
    // The offline page is fetched without cookies: the shell holds nothing about anyone.
    await cache.addAll(CONFIG.shell.map((url) => new Request(url, {credentials: "omit"})));
    await cache.add(new Request(CONFIG.offline, {credentials: "omit"}));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names
      .filter((name) => name.startsWith(CONFIG.shellPrefix) && name !== CONFIG.shellCache)
      .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

async function forgetEverything() {
  const names = await caches.keys();
  await Promise.all(names.map((name) => caches.delete(name)));
}

async function navigate(request, path) {
  const isSaved = CONFIG.saved.includes(path) && await caches.has(CONFIG.savedCache);
  try {
    const response = await fetch(request);
    if (isSaved && response.ok && !response.redirected) {
      const cache = await caches.open(CONFIG.savedCache);
      await cache.put(path, response.clone());
    }
    return response;
  } catch (error) {
    if (isSaved) {
      const kept = await caches.match(path, {cacheName: CONFIG.savedCache, ignoreVary: true});
      if (kept) return kept;
    }
    const offline = await caches.match(CONFIG.offline, {cacheName: CONFIG.shellCache});
    return offline || Response.error();
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && url.pathname === CONFIG.signOut) {
    // Clear-Site-Data on the answer does the same; this also works with no network.
    event.waitUntil(forgetEverything());
    return;
  }
  if (request.method !== "GET") return;
  if (request.mode === "navigate") {
    if (url.pathname === "/" || url.pathname.startsWith(CONFIG.portal)) {
      event.respondWith(navigate(request, url.pathname));
    }
    return;
  }
  if (CONFIG.shell.includes(url.pathname)) {
    event.respondWith((async () => {
      const kept = await caches.match(url.pathname, {cacheName: CONFIG.shellCache});
      return kept || fetch(request);
    })());
  }
});

function samePath(value) {
  return typeof value === "string" && value.startsWith("/") && !value.startsWith("//")
    ? value : "/";
}

self.addEventListener("push", (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch (error) {
    message = {};
  }
  const options = {
    body: typeof message.body === "string" ? message.body : "",
    icon: CONFIG.icon,
    data: {url: samePath(message.url)},
  };
  if (typeof message.tag === "string" && message.tag) options.tag = message.tag;
  event.waitUntil(self.registration.showNotification(
    typeof message.title === "string" && message.title ? message.title : CONFIG.name, options));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL(samePath(event.notification.data && event.notification.data.url),
                         self.location.origin).href;
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({type: "window", includeUncontrolled: true});
    for (const client of windows) {
      if (client.url === target && "focus" in client) return client.focus();
    }
    return self.clients.openWindow(target);
  })());
});
