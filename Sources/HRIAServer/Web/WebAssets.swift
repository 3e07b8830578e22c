/// The web pages' only two files besides the pages: the style sheet and the page script, served by this server
/// itself (the policy loads nothing from anywhere else). No build chain: what is here is what the browser runs.
enum WebAssets {
    static let css = #"""
    :root { --ink: #1b1f24; --muted: #4b5563; --line: #cbd2d9; --accent: #1d4ed8; --bad: #b42318; --good: #067647; --warn: #8a5300; --paper: #ffffff; --soft: #f3f4f6; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans Arabic", sans-serif; color: var(--ink); background: var(--paper); }
    main { max-width: 72rem; margin: 0 auto; padding: 1rem 1.25rem 3rem; }
    a { color: var(--accent); }
    a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible, summary:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
    .skip { position: absolute; inset-inline-start: -999px; }
    .skip:focus { inset-inline-start: 1rem; top: 1rem; background: #fff; padding: 0.5rem; z-index: 10; }
    header.top { display: flex; flex-wrap: wrap; justify-content: space-between; align-items: center; gap: 0.5rem; padding: 0.6rem 1.25rem; border-bottom: 1px solid var(--line); background: var(--soft); }
    header.top nav a { margin-inline-end: 1rem; text-decoration: none; }
    header.top nav a[aria-current="page"] { font-weight: 700; text-decoration: underline; }
    .brand { font-weight: 800; letter-spacing: 0.02em; color: var(--ink); }
    .who { margin: 0; display: flex; gap: 0.5rem; align-items: center; }
    button.link { background: none; border: none; color: var(--accent); text-decoration: underline; padding: 0; font: inherit; cursor: pointer; }
    h1 { font-size: 1.6rem; margin: 0.8rem 0 0.4rem; }
    h2 { font-size: 1.25rem; margin: 1.8rem 0 0.6rem; border-bottom: 1px solid var(--line); padding-bottom: 0.2rem; }
    h3 { font-size: 1.05rem; margin: 1.2rem 0 0.4rem; }
    .meta { color: var(--muted); margin: 0 0 1rem; }
    table { border-collapse: collapse; width: 100%; margin: 0.5rem 0 1rem; }
    caption { text-align: start; font-weight: 600; padding: 0.3rem 0; }
    th, td { text-align: start; vertical-align: top; padding: 0.35rem 0.5rem; border-bottom: 1px solid var(--line); }
    thead th { background: var(--soft); }
    .table-wrap { overflow-x: auto; }
    .badge { display: inline-block; padding: 0 0.45rem; border-radius: 0.7rem; border: 1px solid var(--line); font-size: 0.85rem; }
    .badge.bad { color: var(--bad); border-color: var(--bad); }
    .badge.good { color: var(--good); border-color: var(--good); }
    .badge.warn { color: var(--warn); border-color: var(--warn); }
    .notice { border-inline-start: 4px solid var(--accent); background: #eef2ff; padding: 0.6rem 0.9rem; margin: 1rem 0; }
    .notice.bad { border-color: var(--bad); background: #fef3f2; }
    .notice.good { border-color: var(--good); background: #ecfdf3; }
    .blockers li { margin-bottom: 0.6rem; }
    .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(17rem, 1fr)); gap: 1rem; }
    .card { border: 1px solid var(--line); border-radius: 0.4rem; padding: 0.8rem 1rem; }
    .card h2 { margin-top: 0; font-size: 1.05rem; border: none; }
    form.act { border: 1px solid var(--line); border-radius: 0.4rem; padding: 0.8rem 1rem; margin: 0.8rem 0; }
    fieldset { border: 1px solid var(--line); border-radius: 0.3rem; margin: 0.6rem 0; padding: 0.5rem 0.8rem; }
    legend { font-weight: 600; padding: 0 0.3rem; }
    label { display: block; font-weight: 600; margin: 0.6rem 0 0.2rem; }
    label.inline { display: inline; font-weight: 400; margin-inline-end: 1rem; }
    .hint { display: block; color: var(--muted); font-weight: 400; font-size: 0.9rem; }
    input[type=text], input[type=date], input[type=number], input[type=file], select, textarea { font: inherit; padding: 0.4rem; border: 1px solid #6b7280; border-radius: 0.25rem; width: 100%; max-width: 40rem; }
    textarea { min-height: 6rem; }
    button, .button { font: inherit; padding: 0.45rem 1rem; border-radius: 0.3rem; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; margin-top: 0.8rem; display: inline-block; text-decoration: none; }
    form.act > button[type=submit], form.act > p > button[type=submit] { display: block; }
    button.secondary { background: #fff; color: var(--accent); }
    button.danger { background: var(--bad); border-color: var(--bad); }
    .timeline { list-style: none; padding: 0; margin: 0; border-inline-start: 3px solid var(--line); }
    .timeline li { position: relative; padding: 0.2rem 0 0.7rem; padding-inline-start: 1rem; }
    .timeline li::before { content: ""; position: absolute; inset-inline-start: -0.5rem; top: 0.55rem; width: 0.7rem; height: 0.7rem; border-radius: 50%; background: var(--accent); }
    .timeline time { color: var(--muted); font-size: 0.9rem; }
    pre, code.block { background: var(--soft); padding: 0.6rem; overflow-x: auto; white-space: pre-wrap; word-break: break-word; }
    figure { margin: 1rem 0; }
    figure svg { max-width: 100%; height: auto; }
    .chart text { font: 12px system-ui, sans-serif; fill: var(--ink); }
    .chart .bar { fill: var(--accent); }
    .chart .bar.overdue { fill: var(--bad); }
    .chart .axis { stroke: var(--muted); stroke-width: 1; }
    .chart .tier-low { fill: #12b76a; } .chart .tier-medium { fill: #f79009; } .chart .tier-high { fill: #d92d20; } .chart .tier-severe, .chart .tier-critical { fill: #7a271a; } .chart .tier-none { fill: #98a2b3; }
    .graph { overflow-x: auto; border: 1px solid var(--line); padding: 0.5rem; }
    .keyline { font-family: ui-monospace, monospace; font-size: 0.85rem; word-break: break-all; }
    .status { min-height: 1.5rem; }
    .filters { display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; align-items: flex-end; }
    .filters label { margin: 0; }
    .filters select, .filters input { width: auto; }
    dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; }
    dl.facts dt { font-weight: 600; }
    dl.facts dd { margin: 0; }
    @media (max-width: 40rem) { main { padding: 0.6rem; } header.top { padding: 0.5rem; } }
    """#

    static let javascript = #"""
    // hria's page script: the browser's own key (Ed25519, made by WebCrypto, never extractable, kept in this browser's
    // IndexedDB), signing in with it, and signing each event in the SSH signature format the command line uses.
    "use strict";
    (() => {
      const DB = "hria", STORE = "keys", SLOT = "browser";
      const text = new TextEncoder();

      function openDB() {
        return new Promise((resolve, reject) => {
          const request = indexedDB.open(DB, 1);
          request.onupgradeneeded = () => request.result.createObjectStore(STORE);
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        });
      }
      async function loadKey() {
        const db = await openDB();
        return new Promise((resolve, reject) => {
          const get = db.transaction(STORE).objectStore(STORE).get(SLOT);
          get.onsuccess = () => resolve(get.result || null);
          get.onerror = () => reject(get.error);
        });
      }
      async function saveKey(record) {
        const db = await openDB();
        return new Promise((resolve, reject) => {
          const put = db.transaction(STORE, "readwrite").objectStore(STORE).put(record, SLOT);
          put.onsuccess = () => resolve();
          put.onerror = () => reject(put.error);
        });
      }

      function concat(...parts) {
        const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
        let at = 0;
        for (const p of parts) { out.set(p, at); at += p.length; }
        return out;
      }
      function u32(n) { return new Uint8Array([(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]); }
      function sshString(bytes) { return concat(u32(bytes.length), bytes); }
      function base64(bytes) { let s = ""; for (const b of bytes) s += String.fromCharCode(b); return btoa(s); }
      function hex(bytes) { return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(""); }

      // An SSHSIG blob (as `ssh-keygen -Y sign` makes, without the armour) of `message` for `namespace`.
      async function sshSignature(key, message, namespace) {
        const hash = new Uint8Array(await crypto.subtle.digest("SHA-512", message));
        const preamble = text.encode("SSHSIG");
        const fields = concat(sshString(text.encode(namespace)), sshString(new Uint8Array(0)), sshString(text.encode("sha512")));
        const signed = concat(preamble, fields, sshString(hash));
        const signature = new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, key.privateKey, signed));
        const inner = concat(sshString(text.encode("ssh-ed25519")), sshString(signature));
        return base64(concat(preamble, u32(1), sshString(key.blob), fields, sshString(inner)));
      }

      async function fingerprint(blob) {
        const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", blob));
        return "SHA256:" + base64(digest).replace(/=+$/, "");
      }

      async function makeKey() {
        const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
        const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
        const blob = concat(sshString(text.encode("ssh-ed25519")), sshString(raw));
        const record = { privateKey: pair.privateKey, publicKey: pair.publicKey, blob, line: "ssh-ed25519 " + base64(blob), made: new Date().toISOString() };
        await saveKey(record);
        return record;
      }

      function say(element, message, kind) {
        if (!element) return;
        element.textContent = message;
        element.className = "status" + (kind ? " notice " + kind : "");
      }

      function cryptoMissing() {
        return !(window.isSecureContext && window.crypto && crypto.subtle && window.indexedDB);
      }

      // Enrolling this browser: make its key (or show the one it has) for an admin to add to the roster.
      async function enrolPage(root) {
        const status = document.getElementById("enrol-status");
        const shown = document.getElementById("public-key");
        const print = document.getElementById("key-fingerprint");
        const show = async (record) => {
          shown.value = record.line;
          print.textContent = await fingerprint(record.blob);
          document.getElementById("key-result").hidden = false;
        };
        if (cryptoMissing()) { say(status, root.dataset.unsupported, "bad"); return; }
        const existing = await loadKey();
        if (existing) { await show(existing); say(status, root.dataset.existing, ""); }
        document.getElementById("make-key").addEventListener("click", async () => {
          if (existing && !window.confirm(root.dataset.replace)) return;
          try {
            say(status, root.dataset.working, "");
            const record = await makeKey();
            await show(record);
            say(status, root.dataset.made, "good");
            shown.focus();
          } catch (error) {
            say(status, root.dataset.failed + " (" + error + ")", "bad");
          }
        });
      }

      async function postJSON(url, body) {
        const response = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), credentials: "same-origin" });
        const answer = await response.json().catch(() => ({}));
        if (!response.ok) throw new Error(answer.detail || answer.title || ("the server answered " + response.status));
        return answer;
      }

      // Signing in: the server's fresh challenge, signed with this browser's key.
      async function signInPage(root) {
        const status = document.getElementById("sign-in-status");
        const button = document.getElementById("sign-in");
        if (cryptoMissing()) { say(status, root.dataset.unsupported, "bad"); button.disabled = true; return; }
        button.addEventListener("click", async () => {
          try {
            const key = await loadKey();
            if (!key) { say(status, root.dataset.nokey, "bad"); return; }
            say(status, root.dataset.working, "");
            const { challenge } = await postJSON("/web/sign-in/challenge", {});
            const signature = await sshSignature(key, text.encode(challenge), "hria-web-sign-in");
            const answer = await postJSON("/web/sign-in", { key: key.line, challenge, signature, next: root.dataset.next || "/web/" });
            window.location.assign(answer.next);
          } catch (error) {
            say(status, String(error.message || error), "bad");
          }
        });
      }

      // Signing what the server prepared: each line in order, line i's `prev` being the hash of signed line i-1, as
      // the server will link them; the signatures go back with the form.
      async function signPage(form) {
        const status = document.getElementById("sign-status");
        const data = JSON.parse(document.getElementById("lines").value);
        form.addEventListener("submit", async (event) => {
          event.preventDefault();
          if (cryptoMissing()) { say(status, form.dataset.unsupported, "bad"); return; }
          const button = form.querySelector("button[type=submit]");
          button.disabled = true;
          try {
            const key = await loadKey();
            if (!key) throw new Error(form.dataset.nokey);
            if (data.key && key.line !== data.key) throw new Error(form.dataset.otherkey);
            say(status, form.dataset.working, "");
            const signatures = [];
            let prev = data.prev;
            for (const line of data.lines) {
              const unsigned = text.encode(line.before + prev + line.middle + line.rest);
              const signature = await sshSignature(key, unsigned, "hria-event");
              signatures.push(signature);
              const signed = text.encode(line.before + prev + line.middle + "\"sig\":\"" + signature + "\"," + line.rest);
              prev = hex(new Uint8Array(await crypto.subtle.digest("SHA-256", concat(new Uint8Array([0]), signed))));
            }
            form.elements.signatures.value = JSON.stringify(signatures);
            form.submit();
          } catch (error) {
            button.disabled = false;
            say(status, String(error.message || error), "bad");
          }
        });
      }

      document.addEventListener("DOMContentLoaded", () => {
        const enrol = document.getElementById("enrol");
        if (enrol) enrolPage(enrol);
        const signIn = document.getElementById("sign-in-panel");
        if (signIn) signInPage(signIn);
        const sign = document.getElementById("sign-form");
        if (sign) signPage(sign);
      });
    })();
    """#
}
