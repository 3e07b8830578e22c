/// Signing in and enrolling a browser: the two pages anyone may open. Both work with the page script only, since
/// the key they use lives in the browser and never leaves it.
enum WebAccountPages {
    static let unsupported = "This browser cannot make or use a key here: it needs a secure connection (https, or this machine) and Ed25519 in WebCrypto."

    static func signIn(next: String) -> String {
        """
        <h1>Sign in</h1>
        <div id="sign-in-panel" data-next="\(HTML.escape(next))" data-working="Signing the server's challenge with this browser's key…"
         data-nokey="This browser has no key yet. Enrol it first, and ask an admin to add its key to your entry on the roster."
         data-unsupported="\(HTML.escape(unsupported))">
        <p>You sign in with the key this browser made when you enrolled it. The key never leaves the browser: it signs a
        one-time challenge from the server, and the server checks the signature against the roster.</p>
        <button type="button" id="sign-in">Sign in with this browser's key</button>
        <p id="sign-in-status" class="status" role="status" aria-live="polite"></p>
        <noscript><p class="notice bad">Signing in needs this page's script, which signs with the key kept in your browser.</p></noscript>
        <p>No key in this browser yet? <a href="/web/enrol">Enrol this browser</a>.</p>
        <p>A session lasts 30 minutes. Every act you record is signed again, one by one, with the same key.</p>
        </div>
        """
    }

    static func enrol() -> String {
        """
        <h1>Enrol this browser</h1>
        <div id="enrol" data-working="Making a key…" data-made="This browser now has a key. Give the line below to an admin."
         data-existing="This browser already has a key: the line below is its public half."
         data-replace="This browser already has a key. Making a new one replaces it here, and the old one can no longer sign. Go on?"
         data-failed="The key could not be made" data-unsupported="\(HTML.escape(unsupported))">
        <p>Enrolling makes a signing key (Ed25519) inside this browser. Its secret half cannot be copied out, not even by
        you or by this site's script: it only signs, here. Its public half is the line below, which an admin adds to
        your entry on the roster. From then on, what you record from this browser is signed as you, and nobody else can
        sign as you with it.</p>
        <ol>
        <li>Make the key.</li>
        <li>Give the public line (or read out its fingerprint) to an admin of this workspace, who adds it on the roster page.
        An admin who adds it should check the fingerprint with you over a channel they trust.</li>
        <li><a href="/web/sign-in">Sign in</a>.</li>
        </ol>
        <button type="button" id="make-key">Make this browser's key</button>
        <p id="enrol-status" class="status" role="status" aria-live="polite"></p>
        <div id="key-result" hidden>
        <label for="public-key">Public key (give this to an admin)</label>
        <textarea id="public-key" class="keyline" readonly rows="3"></textarea>
        <p>Fingerprint: <code id="key-fingerprint"></code></p>
        </div>
        <noscript><p class="notice bad">Enrolling needs this page's script, which makes the key inside your browser.</p></noscript>
        <p>A person has one key on the roster: adding this browser's key replaces the one they held before (a command-line
        key too). Clearing this browser's site data deletes the key; an admin then adds a new one.</p>
        </div>
        """
    }
}
