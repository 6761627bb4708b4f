import Crypto

/// The stylesheet and the one script, compiled into the binary. Pages name them with a
/// version derived from their bytes, so browsers keep them for a year and still fetch a
/// new one the moment an upgrade changes it.
enum WebAssets {
    struct Asset: Sendable {
        var contentType: String
        var bytes: [UInt8]
    }

    static let all: [String: Asset] = [
        "pier.css": Asset(contentType: "text/css; charset=utf-8", bytes: Array(stylesheet.utf8)),
        "pier.js": Asset(contentType: "text/javascript; charset=utf-8", bytes: Array(script.utf8)),
    ]

    /// The first 12 hex digits of the SHA-256 of every asset.
    static let version: String = {
        var hash = SHA256()
        for name in all.keys.sorted() { hash.update(data: all[name]?.bytes ?? []) }
        return hash.finalize().map { byte in
            let hex = Array("0123456789abcdef")
            return String([hex[Int(byte >> 4)], hex[Int(byte & 15)]])
        }.joined().prefix(12).description
    }()

    /// Copy buttons: shown only where a script runs (reading works without one), they copy
    /// the text of the field they name. `navigator.clipboard` exists only in a secure
    /// context (HTTPS, localhost), and registries are often reached over plain HTTP
    /// (`http://registry.internal:5000`): there the field's text is selected and copied with
    /// `execCommand`, and when even that is refused, left selected for Ctrl+C.
    static let script = #"""
        "use strict";
        (function () {
          function say(button, text, ms) {
            button.textContent = text;
            setTimeout(function () { button.textContent = "Copy"; }, ms);
          }
          function selectAndCopy(field) {
            field.focus();
            field.select();
            field.setSelectionRange(0, field.value.length);
            try { return document.execCommand("copy"); } catch (e) { return false; }
          }
          function fallback(button, field) {
            if (selectAndCopy(field)) { say(button, "Copied", 1500); } else { say(button, "Selected: press Ctrl+C", 4000); }
          }
          document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
            var field = document.getElementById(button.getAttribute("data-copy"));
            if (!field) { return; }
            button.hidden = false;
            button.addEventListener("click", function () {
              if (navigator.clipboard && window.isSecureContext) {
                navigator.clipboard.writeText(field.value).then(function () { say(button, "Copied", 1500); }, function () { fallback(button, field); });
              } else {
                fallback(button, field);
              }
            });
          });
        })();
        """#

    static let stylesheet = #"""
        :root {
          color-scheme: light dark;
          --bg: #ffffff; --fg: #1b1f24; --muted: #5b6570; --line: #d8dee4; --field: #6e7781; --panel: #f6f8fa;
          --accent: #0b63c5; --accent-fg: #ffffff; --chip: #e7eef8; --danger: #b71c1c; --danger-text: #c62828; --ok-text: #2e7d32;
          font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
          line-height: 1.5;
        }
        @media (prefers-color-scheme: dark) {
          :root {
            --bg: #0f1419; --fg: #e6edf3; --muted: #9aa7b4; --line: #2d3640; --field: #6e7681; --panel: #161c23;
            --accent: #5aa9ff; --accent-fg: #0f1419; --chip: #1d2a3a; --danger-text: #ff8a80; --ok-text: #81c784;
          }
        }
        * { box-sizing: border-box; }
        body { margin: 0; background: var(--bg); color: var(--fg); }
        a { color: var(--accent); }
        code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 0.9em; overflow-wrap: anywhere; }
        .skip { position: absolute; left: -999px; }
        .skip:focus { left: 1rem; top: 1rem; background: var(--panel); padding: 0.5rem; z-index: 1; }
        .hidden-label { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
        .top { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; padding: 0.75rem 1.5rem; border-bottom: 1px solid var(--line); background: var(--panel); }
        .brand { font-weight: 700; font-size: 1.25rem; text-decoration: none; color: var(--fg); }
        .search { display: flex; flex: 1; max-width: 36rem; gap: 0.5rem; }
        input, button { font: inherit; color: inherit; }
        /* Form fields' edges at 3:1 or more against the page (WCAG 1.4.11); --line is for
           dividers. Placeholders in the muted text colour, which reads at 4.5:1 either way. */
        input { flex: 1; min-width: 0; padding: 0.4rem 0.6rem; border: 1px solid var(--field); border-radius: 6px; background: var(--bg); }
        ::placeholder { color: var(--muted); opacity: 1; }
        button { padding: 0.4rem 0.9rem; border: 1px solid var(--accent); border-radius: 6px; background: var(--accent); color: var(--accent-fg); cursor: pointer; }
        button:focus-visible, a:focus-visible, input:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
        main { max-width: 72rem; margin: 0 auto; padding: 1.5rem; }
        .bottom { max-width: 72rem; margin: 2rem auto; padding: 1rem 1.5rem; border-top: 1px solid var(--line); color: var(--muted); font-size: 0.875rem; }
        h1 { font-size: 1.75rem; margin: 0.25rem 0 0.75rem; word-break: break-word; }
        h2 { font-size: 1.25rem; margin: 2rem 0 0.75rem; }
        h3 { font-size: 1rem; margin: 1.25rem 0 0.5rem; }
        .hero p, .lead, .count, .meta, .empty, .crumbs { color: var(--muted); }
        .columns { display: grid; grid-template-columns: repeat(auto-fit, minmax(20rem, 1fr)); gap: 2rem; }
        .cards { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.75rem; }
        .card { border: 1px solid var(--line); border-radius: 8px; padding: 0.75rem 1rem; background: var(--panel); }
        .card h3 { margin: 0; font-size: 1.05rem; word-break: break-word; }
        .card p { margin: 0.25rem 0 0; }
        .meta span { margin-right: 0.75rem; }
        .meta span span { margin-right: 0; }
        table + form { margin-top: 1rem; }
        .stats, .facts, .config { display: flex; flex-wrap: wrap; gap: 0.5rem 2rem; margin: 1rem 0; }
        .config { display: block; }
        .stats div, .facts div { min-width: 6rem; }
        dt { color: var(--muted); font-size: 0.85rem; }
        dd { margin: 0; }
        .config div { margin-bottom: 0.5rem; }
        .account { display: flex; align-items: center; gap: 0.75rem; margin-left: auto; }
        .account form { margin: 0; }
        button.quiet { background: transparent; color: var(--accent); }
        .login, .comment { display: grid; gap: 0.5rem; max-width: 28rem; }
        .comment { max-width: 48rem; margin-top: 1rem; }
        .login button, .comment button { justify-self: start; }
        textarea { font: inherit; color: inherit; padding: 0.5rem; border: 1px solid var(--field); border-radius: 6px; background: var(--bg); }
        .error { color: var(--danger-text); font-weight: 600; }
        .star { margin: 0 0 1rem; }
        .settings { display: grid; gap: 0.5rem; max-width: 48rem; margin-bottom: 1.5rem; }
        .settings button, .settings select { justify-self: start; }
        .settings select, .filters select { max-width: 100%; }
        .settings.inline { grid-template-columns: auto 1fr; align-items: center; }
        .settings.inline button { grid-column: 2; }
        fieldset { margin: 0; border: 1px solid var(--line); border-radius: 6px; display: flex; flex-wrap: wrap; gap: 0.25rem 1.25rem; }
        select { font: inherit; color: inherit; padding: 0.35rem; border: 1px solid var(--field); border-radius: 6px; background: var(--bg); }
        .notice { color: var(--ok-text); font-weight: 600; }
        .ok { color: var(--ok-text); } .failed { color: var(--danger-text); }
        .hook { border: 1px solid var(--line); border-radius: 8px; padding: 0.5rem 1rem; margin-bottom: 1rem; }
        .hook h3 { margin-top: 0.5rem; }
        caption { text-align: left; color: var(--muted); padding: 0.25rem 0; }
        .danger h2 { color: var(--danger-text); }
        .danger button { background: var(--danger); border-color: var(--danger); color: #ffffff; }
        .created { border: 2px solid var(--accent); border-radius: 8px; padding: 0.5rem 1rem; margin: 1rem 0; }
        .admin-link { margin: 0; }
        .filters { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem; margin: 0.5rem 0 1rem; }
        .filters input { flex: 0 1 12rem; }
        .preview { border: 1px dashed var(--line); border-radius: 8px; padding: 0 1rem 0.5rem; margin-bottom: 1.5rem; }
        .pull { margin: 1rem 0; }
        .pull label { display: block; font-weight: 600; margin-bottom: 0.25rem; }
        .copyable { display: flex; gap: 0.5rem; max-width: 48rem; }
        .copyable input { font-family: ui-monospace, Menlo, Consolas, monospace; }
        .scroll { overflow-x: auto; }
        table { border-collapse: collapse; width: 100%; font-size: 0.925rem; }
        th, td { text-align: left; padding: 0.4rem 0.6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
        thead th { color: var(--muted); font-weight: 600; }
        /* Rows of a name and a button: the text level with the button's. */
        .tokens td, .collaborators td, .deliveries td, .users td { vertical-align: middle; }
        td form { margin: 0; }
        td.size { white-space: nowrap; }
        .pairs th { width: 30%; font-weight: 500; overflow-wrap: anywhere; }
        .chip { display: inline-block; padding: 0 0.4rem; border-radius: 4px; background: var(--chip); font-size: 0.85em; }
        .sorts span[aria-current] { font-weight: 700; }
        .pager ul, .platforms ul, .plain { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 0.5rem; }
        .plain { display: block; }
        .pager span[aria-current] { font-weight: 700; }
        .history li { margin-bottom: 0.35rem; }
        .history .no-layer code { color: var(--muted); }
        .note { color: var(--muted); }
        .comments { list-style: none; padding: 0; }
        .comments > li { border-top: 1px solid var(--line); padding: 0.5rem 0; }
        .comments .markdown ul, .comments .markdown ol { list-style: revert; }
        .markdown h1 { font-size: 1.4rem; } .markdown h2 { font-size: 1.2rem; } .markdown h3 { font-size: 1.05rem; }
        .markdown pre { overflow-x: auto; background: var(--panel); padding: 0.75rem; border-radius: 6px; }
        .image { border-top: 2px solid var(--line); margin-top: 2rem; }
        /* What people wrote and named may be one unbroken word longer than a phone is wide
           (a description, a repository or tag name, a comment): it wraps anywhere rather
           than push the page sideways. Grid and flex children need min-width: 0 to shrink
           below their content at all. */
        .lead, .card, .overview, .markdown, .comments, .crumbs, .facts dd, .meta, .hero { overflow-wrap: anywhere; }
        .columns > *, .cards > li, .settings > *, .comment > * { min-width: 0; }
        @media (max-width: 40rem) {
          main { padding: 1rem; }
          .top { padding: 0.75rem 1rem; }
          /* A tag's row becomes a small card: name and size, digest, platforms, then who pushed
             it and when; seven columns would scroll sideways on a phone. The header row stays
             for screen readers only, and the template names every table role outright: WebKit
             forgets a table's semantics once its rows are laid out as flex boxes. */
          .tags thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
          .tags, .tags tbody { display: block; }
          .tags tr { display: flex; flex-wrap: wrap; align-items: baseline; gap: 0.2rem 0.6rem; padding: 0.6rem 0; border-bottom: 1px solid var(--line); }
          .tags td { border: 0; padding: 0; }
          .tags td:nth-child(1) { order: -2; flex: 1 1 0; min-width: 0; overflow-wrap: anywhere; font-weight: 600; }
          .tags td:nth-child(3) { order: -1; flex: none; margin-left: auto; white-space: nowrap; }
          .tags td:nth-child(2), .tags td:nth-child(4) { flex: 1 0 100%; }
          .tags td:nth-child(2) code { white-space: nowrap; }
          .tags td:nth-child(n+5) { flex: 0 1 auto; min-width: 0; overflow-wrap: anywhere; color: var(--muted); font-size: 0.85rem; }
          .tags td:nth-child(4):empty, .tags td:nth-child(6):empty { display: none; }
          .tags td:nth-child(5)::before { content: "pushed "; }
          .tags td:nth-child(6)::before { content: "by "; }
          .tags td:nth-child(7)::before { content: "last pull: "; }
        }
        """#
}
