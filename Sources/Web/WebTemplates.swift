import Mustache

/// The pages' templates, compiled into the binary so `pier` stays one file that serves its
/// UI wherever it is copied. Mustache escapes every `{{value}}` for HTML; the only raw
/// output (`{{{…}}}`) is HTML that ``SafeMarkdown`` made.
enum WebTemplates {
    /// Every template, parsed once at start-up; a template that does not parse is a bug
    /// the unit tests catch, so it fails loudly here rather than rendering nothing.
    static let library: MustacheLibrary = {
        MustacheContentTypes.register(FastHTML(), named: FastHTML.name)
        var library = MustacheLibrary()
        for (name, source) in sources {
            do {
                try library.register(source, named: name)
            } catch {
                fatalError("web template \(name) does not parse: \(error)")
            }
        }
        return library
    }()

    /// Renders a page's model with template `name` (the models answer lookups themselves:
    /// `WebView+Lookup.swift`).
    static func render(_ model: Any, _ name: String) -> String? {
        library.render(model, withTemplate: name)
    }

    static let sources: [(String, String)] = [
        ("layout", layout), ("cards", cards), ("pages", pages),
        ("home", home), ("search", search), ("repository", repository), ("tag", tag), ("notfound", notFound),
        ("login", login), ("logout", logout), ("repository-settings", repositorySettings), ("account", account),
        ("messages", messages), ("namespace", namespace), ("admin", admin),
    ]

    static let layout = #"""
        {{% CONTENT_TYPE: PIER_HTML}}<!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{chrome.title}} · Pier</title>
        <link rel="stylesheet" href="{{chrome.base}}/static/pier.css?v={{chrome.assetVersion}}">
        <script src="{{chrome.base}}/static/pier.js?v={{chrome.assetVersion}}" defer></script>
        </head>
        <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
        <a class="brand" href="{{chrome.base}}/">Pier</a>
        <form class="search" role="search" action="{{chrome.base}}/search" method="get">
        <label class="hidden-label" for="search-box">Search repositories</label>
        <input id="search-box" name="q" type="search" value="{{chrome.query}}" placeholder="Search repositories">
        <button type="submit">Search</button>
        </form>
        <nav class="account" aria-label="Account">
        {{#chrome.isAdministrator}}<a href="{{chrome.base}}/admin">Admin</a>{{/chrome.isAdministrator}}
        {{#chrome.user}}<span>Signed in as <a href="{{chrome.base}}/settings"><strong>{{.}}</strong></a></span>
        <form method="post" action="{{chrome.base}}/logout"><input type="hidden" name="csrf" value="{{chrome.csrf}}"><button type="submit" class="quiet">Sign out</button></form>{{/chrome.user}}
        {{^chrome.user}}<a href="{{chrome.loginURL}}">Sign in</a>{{/chrome.user}}
        </nav>
        </header>
        <main id="main">
        {{$content}}{{/content}}
        </main>
        <footer class="bottom"><p>Served by Pier, a container image registry.</p></footer>
        </body>
        </html>
        """#

    static let cards = #"""
        {{% CONTENT_TYPE: PIER_HTML}}{{^empty(cards)}}<ul class="cards">
        {{#cards}}<li class="card">
        <h3><a href="{{url}}">{{name}}</a></h3>
        {{#hasDescription}}<p class="description">{{description}}</p>{{/hasDescription}}
        <p class="meta"><span title="Stars"><span class="glyph" aria-hidden="true">★ </span>{{stars}}<span class="hidden-label"> stars</span></span> <span>{{pulls}}</span>{{#pushed}} <span>pushed <time datetime="{{iso}}" title="{{iso}}">{{ago}}</time></span>{{/pushed}}</p>
        </li>
        {{/cards}}</ul>{{/empty(cards)}}{{^cards}}<p class="empty">No repositories to show.</p>{{/cards}}
        """#

    static let pages = #"""
        {{% CONTENT_TYPE: PIER_HTML}}{{#pager}}<nav class="pager" aria-label="Pages"><ul>
        {{#links}}<li>{{#current}}<span aria-current="page">{{label}}</span>{{/current}}{{^current}}<a href="{{url}}">{{label}}</a>{{/current}}</li>
        {{/links}}</ul></nav>{{/pager}}
        """#

    static let home = #"""
        {{% CONTENT_TYPE: PIER_HTML}}{{<layout}}{{$content}}
        <section class="hero">
        <h1>Container images on {{host}}</h1>
        <p>Pull with <code>docker pull {{host}}/NAME:TAG</code>, or search above.</p>
        </section>
        {{#mine}}<div class="columns mine">
        <section aria-labelledby="mine-heading">
        <h2 id="mine-heading"><a href="{{userURL}}">Your repositories</a></h2>
        {{#repositories}}{{> cards}}{{/repositories}}
        {{^empty(organizations)}}<p>Your organisations: {{#organizations}}<a href="{{url}}">{{label}}</a> {{/organizations}}</p>{{/empty(organizations)}}
        </section>
        <section aria-labelledby="starred-heading">
        <h2 id="starred-heading">Starred</h2>
        {{#starred}}{{> cards}}{{/starred}}
        </section>
        </div>{{/mine}}
        <div class="columns">
        <section aria-labelledby="recent-heading">
        <h2 id="recent-heading">Recently pushed</h2>
        {{#recent}}{{> cards}}{{/recent}}
        </section>
        <section aria-labelledby="popular-heading">
        <h2 id="popular-heading">Most popular</h2>
        {{#popular}}{{> cards}}{{/popular}}
        </section>
        </div>
        {{/content}}{{/layout}}
        """#

    static let search = #"""
        {{% CONTENT_TYPE: PIER_HTML}}{{<layout}}{{$content}}
        <h1>{{#hasQuery}}Repositories matching “{{query}}”{{/hasQuery}}{{^hasQuery}}All repositories{{/hasQuery}}</h1>
        <form class="filters" method="get" action="{{chrome.base}}/search">
        <input type="hidden" name="q" value="{{query}}">
        <label for="filter-namespace">In namespace</label><input id="filter-namespace" name="namespace" value="{{namespace}}" placeholder="any">
        <label for="filter-sort">Order</label><select id="filter-sort" name="sort">{{#orders}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/orders}}</select>
        <button type="submit" id="filter-apply">Apply</button>
        </form>
        <p class="count">{{total}} found</p>
        {{#results}}{{> cards}}{{/results}}
        {{> pages}}
        {{/content}}{{/layout}}
        """#

    static let repository = #"""
        {{% CONTENT_TYPE: PIER_HTML}}{{<layout}}{{$content}}
        <nav class="crumbs" aria-label="Breadcrumb">{{#crumbs}}<a href="{{url}}">{{label}}</a> / {{/crumbs}}<span>{{shortName}}</span></nav>
        <h1>{{name}}</h1>
        {{#canAdminister}}<p class="admin-link"><a href="{{settingsURL}}">Settings</a></p>{{/canAdminister}}
        {{#hasDescription}}<p class="lead">{{description}}</p>{{/hasDescription}}
        <dl class="stats">
        <div><dt>Stars</dt><dd id="star-count">{{stars}}</dd></div>
        <div><dt>Pulls</dt><dd>{{pulls}}</dd></div>
        <div><dt>Tags</dt><dd>{{tagCount}}</dd></div>
        <div><dt>Last push</dt><dd>{{#pushed}}<time datetime="{{iso}}" title="{{iso}}">{{ago}}</time>{{/pushed}}{{^pushed}}never{{/pushed}}</dd></div>
        <div><dt>Last pull</dt><dd>{{#lastPulled}}<time datetime="{{iso}}" title="{{iso}}">{{ago}}</time>{{/lastPulled}}{{^lastPulled}}never{{/lastPulled}}</dd></div>
        </dl>
        {{#signedIn}}<form class="star" method="post" action="{{starURL}}"><input type="hidden" name="csrf" value="{{chrome.csrf}}"><button type="submit" id="star-button" aria-pressed="{{#starred}}true{{/starred}}{{^starred}}false{{/starred}}">{{#starred}}★ Starred{{/starred}}{{^starred}}☆ Star{{/starred}}</button></form>{{/signedIn}}
        <div class="pull">
        <label for="pull-command">Pull this image</label>
        <div class="copyable"><input id="pull-command" readonly value="{{pullCommand}}"><button type="button" class="copy" data-copy="pull-command" hidden>Copy</button></div>
        </div>
        {{#hasOverview}}<section class="overview" aria-labelledby="overview-heading"><h2 id="overview-heading">Overview</h2>
        <div class="markdown">{{{overviewHTML}}}</div></section>{{/hasOverview}}
        <section aria-labelledby="tags-heading">
        <h2 id="tags-heading">Tags</h2>
        <p class="sorts">Sort by: {{#sorts}}{{#current}}<span aria-current="true">{{label}}</span>{{/current}}{{^current}}<a href="{{url}}">{{label}}</a>{{/current}} {{/sorts}}</p>
        {{^empty(tags)}}<div class="scroll"><table class="tags" role="table">
        <thead role="rowgroup"><tr role="row"><th scope="col" role="columnheader">Tag</th><th scope="col" role="columnheader">Digest</th><th scope="col" role="columnheader">Size</th><th scope="col" role="columnheader">Platforms</th><th scope="col" role="columnheader">Pushed</th><th scope="col" role="columnheader">By</th><th scope="col" role="columnheader">Last pulled</th></tr></thead>
        <tbody role="rowgroup">
        {{#tags}}<tr role="row"><td role="cell"><a href="{{url}}">{{name}}</a></td><td role="cell"><code title="{{digest}}">{{shortDigest}}</code></td><td role="cell">{{size}}</td><td role="cell">{{#platforms}}<span class="chip">{{.}}</span> {{/platforms}}</td><td role="cell"><time datetime="{{pushed.iso}}" title="{{pushed.iso}}">{{pushed.ago}}</time></td><td role="cell">{{pusher}}</td><td role="cell">{{#lastPulled}}<time datetime="{{iso}}" title="{{iso}}">{{ago}}</time>{{/lastPulled}}{{^lastPulled}}never{{/lastPulled}}</td></tr>
        {{/tags}}</tbody></table></div>{{/empty(tags)}}{{^tags}}<p class="empty">No tags yet.</p>{{/tags}}
        {{> pages}}
        </section>
        <section aria-labelledby="comments-heading">
        <h2 id="comments-heading">Comments ({{commentCount}})</h2>
        {{^empty(comments)}}<ol class="comments">
        {{#comments}}<li id="{{anchor}}"><article><header><strong>{{author}}</strong> <time datetime="{{created.iso}}" title="{{created.iso}}">{{created.ago}}</time></header><div class="markdown">{{{html}}}</div></article></li>
        {{/comments}}</ol>{{/empty(comments)}}{{^comments}}<p class="empty">No comments yet.</p>{{/comments}}
        {{#commentPager}}<nav class="pager" aria-label="Comment pages"><ul>
        {{#links}}<li>{{#current}}<span aria-current="page">{{label}}</span>{{/current}}{{^current}}<a href="{{url}}">{{label}}</a>{{/current}}</li>
        {{/links}}</ul></nav>{{/commentPager}}
        {{#signedIn}}<form class="comment" method="post" action="{{commentURL}}">
        <input type="hidden" name="csrf" value="{{chrome.csrf}}">
        <label for="comment-body">Add a comment (Markdown)</label>
        <textarea id="comment-body" name="body" rows="4" maxlength="{{commentLimit}}" required></textarea>
        <button type="submit">Comment</button>
        </form>{{/signedIn}}
        {{^signedIn}}<p><a href="{{signInURL}}">Sign in</a> to star and comment.</p>{{/signedIn}}
        </section>
        {{/content}}{{/layout}}
        """#

    static let tag = #"""
        {{% CONTENT_TYPE: PIER_HTML}}{{<layout}}{{$content}}
        <nav class="crumbs" aria-label="Breadcrumb"><a href="{{repositoryURL}}">{{repository}}</a> / <span>{{tag}}</span></nav>
        <h1>{{reference}}</h1>
        <dl class="facts">
        <div><dt>Digest</dt><dd><code>{{digest}}</code></dd></div>
        <div><dt>Media type</dt><dd><code>{{mediaType}}</code></dd></div>
        {{#artifactType}}<div><dt>Artifact type</dt><dd><code>{{.}}</code></dd></div>{{/artifactType}}
        <div><dt>Size</dt><dd>{{size}}</dd></div>
        {{#pushed}}<div><dt>Pushed</dt><dd><time datetime="{{iso}}" title="{{iso}}">{{ago}}</time>{{#pusher}} by {{pusher}}{{/pusher}}</dd></div>{{/pushed}}
        </dl>
        <div class="pull">
        <label for="pull-command">{{#artifactType}}Pull this artifact (with ORAS){{/artifactType}}{{^artifactType}}Pull this tag{{/artifactType}}</label>
        <div class="copyable"><input id="pull-command" readonly value="{{pullCommand}}"><button type="button" class="copy" data-copy="pull-command" hidden>Copy</button></div>
        </div>
        {{^empty(annotations)}}<section aria-labelledby="annotations-heading"><h2 id="annotations-heading">Annotations</h2>
        <table class="pairs"><tbody>{{#annotations}}<tr><th scope="row">{{key}}</th><td><code>{{value}}</code></td></tr>{{/annotations}}</tbody></table></section>{{/empty(annotations)}}
        {{#isIndex}}<nav class="platforms" aria-label="Platforms"><ul>{{#images}}<li><a href="#{{anchor}}">{{platform}}</a></li>{{/images}}{{#morePlatforms}}<li class="note">{{.}}</li>{{/morePlatforms}}</ul></nav>{{/isIndex}}
        {{#images}}<section class="image" id="{{anchor}}" aria-labelledby="{{anchor}}-heading">
        <h2 id="{{anchor}}-heading">{{platform}}</h2>
        <p class="meta"><code>{{digest}}</code> · {{size}}</p>
        {{#hasConfig}}<h3>Configuration</h3>
        <dl class="config">
        {{#entrypoint}}<div><dt>Entrypoint</dt><dd><code>{{.}}</code></dd></div>{{/entrypoint}}
        {{#command}}<div><dt>Command</dt><dd><code>{{.}}</code></dd></div>{{/command}}
        {{#user}}<div><dt>User</dt><dd><code>{{.}}</code></dd></div>{{/user}}
        {{#workingDir}}<div><dt>Working directory</dt><dd><code>{{.}}</code></dd></div>{{/workingDir}}
        {{^empty(ports)}}<div><dt>Exposed ports</dt><dd>{{#ports}}<code>{{.}}</code> {{/ports}}</dd></div>{{/empty(ports)}}
        {{^empty(environment)}}<div><dt>Environment</dt><dd><ul class="plain">{{#environment}}<li><code>{{.}}</code></li>{{/environment}}</ul></dd></div>{{/empty(environment)}}
        </dl>
        {{^empty(labels)}}<h3>Labels</h3>{{/empty(labels)}}{{^empty(labels)}}<table class="pairs"><tbody>{{#labels}}<tr><th scope="row">{{key}}</th><td><code>{{value}}</code></td></tr>{{/labels}}</tbody></table>{{/empty(labels)}}
        {{/hasConfig}}
        <h3>Layers</h3>
        {{^empty(layers)}}<div class="scroll"><table class="layers"><thead><tr><th scope="col">#</th><th scope="col">Digest</th><th scope="col">Type</th><th scope="col">Size</th></tr></thead><tbody>
        {{#layers}}<tr><td>{{index}}</td><td><code title="{{digest}}">{{shortDigest}}</code></td><td><code>{{mediaType}}</code></td><td class="size">{{size}}</td></tr>
        {{/layers}}</tbody></table></div>{{/empty(layers)}}{{^layers}}<p class="empty">No layers.</p>{{/layers}}
        {{^empty(history)}}<h3>History</h3>
        <ol class="history">{{#history}}<li{{#emptyLayer}} class="no-layer"{{/emptyLayer}}><code>{{command}}</code>{{#created}} <time datetime="{{iso}}" title="{{iso}}">{{ago}}</time>{{/created}}{{#comment}} <span class="note">{{.}}</span>{{/comment}}</li>
        {{/history}}</ol>{{/empty(history)}}
        {{^empty(annotations)}}<h3>Annotations</h3><table class="pairs"><tbody>{{#annotations}}<tr><th scope="row">{{key}}</th><td><code>{{value}}</code></td></tr>{{/annotations}}</tbody></table>{{/empty(annotations)}}
        </section>
        {{/images}}
        <section aria-labelledby="referrers-heading">
        <h2 id="referrers-heading">Signatures, SBOMs and attestations</h2>
        {{^empty(referrers)}}<div class="scroll"><table class="referrers"><thead><tr><th scope="col">Type</th><th scope="col">Digest</th><th scope="col">Size</th></tr></thead><tbody>
        {{#referrers}}<tr><td><code>{{artifactType}}</code></td><td><a href="{{url}}"><code title="{{digest}}">{{shortDigest}}</code></a></td><td class="size">{{size}}</td></tr>
        {{/referrers}}</tbody></table></div>{{/empty(referrers)}}{{^referrers}}<p class="empty">None refer to this image.</p>{{/referrers}}
        </section>
        {{/content}}{{/layout}}
        """#

    static let login = #"""
        {{% CONTENT_TYPE: PIER_HTML}}{{<layout}}{{$content}}
        <h1>Sign in</h1>
        {{#available}}
        {{#error}}<p class="error" role="alert">{{.}}</p>{{/error}}
        <form class="login" method="post" action="{{chrome.base}}/login">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <input type="hidden" name="next" value="{{next}}">
        <label for="login-user">User name</label>
        <input id="login-user" name="user" value="{{user}}" autocomplete="username" required autofocus>
        <label for="login-password">Password</label>
        <input id="login-password" name="password" type="password" autocomplete="current-password" required>
        <button type="submit">Sign in</button>
        </form>
        {{/available}}
        {{^available}}<p>This registry has no users to sign in as.</p>{{/available}}
        {{/content}}{{/layout}}
        """#

    static let logout = #"""
        {{% CONTENT_TYPE: PIER_HTML}}{{<layout}}{{$content}}
        <h1>Sign out</h1>
        {{#chrome.user}}<form method="post" action="{{chrome.base}}/logout"><input type="hidden" name="csrf" value="{{chrome.csrf}}"><button type="submit">Sign out of {{.}}</button></form>{{/chrome.user}}
        {{^chrome.user}}<p>You are not signed in.</p>{{/chrome.user}}
        {{/content}}{{/layout}}
        """#

    static let messages = #"""
        {{% CONTENT_TYPE: PIER_HTML}}{{#notice}}<p class="notice" role="status">{{.}}</p>{{/notice}}
        {{#error}}<p class="error" role="alert">{{.}}</p>{{/error}}
        """#

    static let repositorySettings = #"""
        {{% CONTENT_TYPE: PIER_HTML}}{{<layout}}{{$content}}
        <nav class="crumbs" aria-label="Breadcrumb"><a href="{{repositoryURL}}">{{name}}</a> / <span>settings</span></nav>
        <h1>Settings of {{name}}</h1>
        {{> messages}}
        <section aria-labelledby="describe-heading">
        <h2 id="describe-heading">Description and overview</h2>
        <form class="settings" method="post" action="{{actionURL}}">
        <input type="hidden" name="csrf" value="{{chrome.csrf}}"><input type="hidden" name="action" value="describe">
        <label for="description">Short description</label>
        <input id="description" name="description" maxlength="300" value="{{description}}">
        <label for="overview">Overview (Markdown)</label>
        <textarea id="overview" name="overview" rows="12">{{overview}}</textarea>
        <div class="buttons"><button type="submit" id="describe-save">Save</button> <button type="submit" name="preview" value="1" id="describe-preview" class="quiet">Preview</button></div>
        </form>
        {{#previewHTML}}<section class="preview" aria-labelledby="preview-heading"><h3 id="preview-heading">Preview (not saved)</h3><div class="markdown">{{{.}}}</div></section>{{/previewHTML}}
        </section>
        {{#hasVisibility}}<section aria-labelledby="visibility-heading">
        <h2 id="visibility-heading">Visibility</h2>
        <form class="settings" method="post" action="{{actionURL}}">
        <input type="hidden" name="csrf" value="{{chrome.csrf}}"><input type="hidden" name="action" value="visibility">
        <fieldset><legend>Who may pull and see it</legend>
        <label><input type="radio" name="visibility" value="public"{{#isPublic}} checked{{/isPublic}}> Public: everyone</label>
        <label><input type="radio" name="visibility" value="private"{{^isPublic}} checked{{/isPublic}}> Private: its namespace's members and collaborators</label>
        </fieldset>
        <button type="submit" id="visibility-save">Save visibility</button>
        </form>
        </section>
        <section aria-labelledby="collaborators-heading">
        <h2 id="collaborators-heading">Collaborators</h2>
        {{^empty(collaborators)}}<table class="collaborators"><thead><tr><th scope="col">User</th><th scope="col">Role</th><th scope="col"><span class="hidden-label">Remove</span></th></tr></thead><tbody>
        {{#collaborators}}<tr><td>{{user}}</td><td>{{role}}</td><td><form method="post" action="{{actionURL}}"><input type="hidden" name="csrf" value="{{chrome.csrf}}"><input type="hidden" name="action" value="remove-collaborator"><input type="hidden" name="user" value="{{user}}"><button type="submit" class="quiet" aria-label="Remove {{user}}">Remove</button></form></td></tr>
        {{/collaborators}}</tbody></table>{{/empty(collaborators)}}{{^collaborators}}<p class="empty">No collaborators.</p>{{/collaborators}}
        <form class="settings inline" method="post" action="{{actionURL}}">
        <input type="hidden" name="csrf" value="{{chrome.csrf}}"><input type="hidden" name="action" value="add-collaborator">
        <label for="collaborator-user">User</label><input id="collaborator-user" name="user" required>
        <label for="collaborator-role">Role</label>
        <select id="collaborator-role" name="role"><option value="read">read</option><option value="write">write</option><option value="admin">admin</option></select>
        <button type="submit" id="collaborator-add">Add collaborator</button>
        </form>
        </section>{{/hasVisibility}}
        {{#webhooksAvailable}}<section aria-labelledby="webhooks-heading">
        <h2 id="webhooks-heading">Webhooks</h2>
        {{#webhooks}}<article class="hook">
        <h3><code>{{url}}</code></h3>
        <p class="meta">{{events}}{{#createdBy}} · added by {{.}}{{/createdBy}}{{^active}} · inactive{{/active}}</p>
        <form method="post" action="{{actionURL}}"><input type="hidden" name="csrf" value="{{chrome.csrf}}"><input type="hidden" name="action" value="delete-webhook"><input type="hidden" name="webhook" value="{{id}}"><button type="submit" class="quiet" aria-label="Delete webhook {{url}}">Delete webhook</button></form>
        {{^empty(deliveries)}}<table class="deliveries"><caption>Recent deliveries</caption><thead><tr><th scope="col">Event</th><th scope="col">Result</th><th scope="col">When</th><th scope="col"><span class="hidden-label">Redeliver</span></th></tr></thead><tbody>
        {{#deliveries}}<tr><td>{{event}}</td><td class="size">{{#succeeded}}<span class="ok">{{status}}</span>{{/succeeded}}{{^succeeded}}<span class="failed">{{status}}</span>{{#error}} {{.}}{{/error}}{{/succeeded}}</td><td><time datetime="{{at.iso}}" title="{{at.iso}}">{{at.ago}}</time></td>
        <td><form method="post" action="{{actionURL}}"><input type="hidden" name="csrf" value="{{chrome.csrf}}"><input type="hidden" name="action" value="redeliver"><input type="hidden" name="webhook" value="{{hookID}}"><input type="hidden" name="delivery" value="{{id}}"><button type="submit" class="quiet" aria-label="Redeliver {{event}} of {{at.ago}}">Redeliver</button></form></td></tr>
        {{/deliveries}}</tbody></table>{{/empty(deliveries)}}{{^deliveries}}<p class="empty">No deliveries yet.</p>{{/deliveries}}
        </article>{{/webhooks}}{{^webhooks}}<p class="empty">No webhooks.</p>{{/webhooks}}
        <form class="settings" method="post" action="{{actionURL}}">
        <input type="hidden" name="csrf" value="{{chrome.csrf}}"><input type="hidden" name="action" value="add-webhook">
        <label for="webhook-url">Payload URL</label><input id="webhook-url" name="url" type="url" required>
        <label for="webhook-secret">Secret (signs each delivery)</label><input id="webhook-secret" name="secret" type="password" autocomplete="new-password">
        <fieldset><legend>Events</legend>{{#events}}<label><input type="checkbox" name="event-{{.}}" checked> {{.}}</label> {{/events}}</fieldset>
        <button type="submit" id="webhook-add">Add webhook</button>
        </form>
        </section>{{/webhooksAvailable}}
        <section aria-labelledby="danger-heading" class="danger">
        <h2 id="danger-heading">Delete</h2>
        {{^empty(tags)}}<form class="settings" method="post" action="{{actionURL}}">
        <input type="hidden" name="csrf" value="{{chrome.csrf}}"><input type="hidden" name="action" value="delete-tag">
        <label for="delete-tag">Tag</label>
        <select id="delete-tag" name="tag">{{#tags}}<option value="{{.}}">{{.}}</option>{{/tags}}</select>
        <label for="delete-tag-confirm">Type the tag's name to confirm</label><input id="delete-tag-confirm" name="confirm" required>
        <button type="submit" id="delete-tag-button">Delete tag</button>
        </form>{{/empty(tags)}}
        <form class="settings" method="post" action="{{actionURL}}">
        <input type="hidden" name="csrf" value="{{chrome.csrf}}"><input type="hidden" name="action" value="delete-repository">
        <label for="delete-repository-confirm">Type <strong>{{name}}</strong> to delete the repository with every tag</label><input id="delete-repository-confirm" name="confirm" required>
        <button type="submit" id="delete-repository-button">Delete repository</button>
        </form>
        </section>
        {{/content}}{{/layout}}
        """#

    static let account = #"""
        {{% CONTENT_TYPE: PIER_HTML}}{{<layout}}{{$content}}
        <h1>Account of {{user}}</h1>
        {{> messages}}
        {{#createdToken}}<div class="created" role="status"><p><strong>Your new token.</strong> Copy it now: it is not shown again.</p>
        <div class="copyable"><label class="hidden-label" for="created-token">New token</label><input id="created-token" readonly value="{{.}}"><button type="button" class="copy" data-copy="created-token" hidden>Copy</button></div></div>{{/createdToken}}
        <section aria-labelledby="tokens-heading">
        <h2 id="tokens-heading">Access tokens</h2>
        <p>Use a token as the password of <code>docker login</code> in scripts and CI; revoke it without changing your password.</p>
        {{^empty(tokens)}}<table class="tokens"><thead><tr><th scope="col">Name</th><th scope="col">Scopes</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col"><span class="hidden-label">Revoke</span></th></tr></thead><tbody>
        {{#tokens}}<tr><td>{{name}}</td><td>{{scopes}}</td><td><time datetime="{{created.iso}}" title="{{created.iso}}">{{created.ago}}</time></td><td>{{#lastUsed}}<time datetime="{{iso}}" title="{{iso}}">{{ago}}</time>{{/lastUsed}}{{^lastUsed}}never{{/lastUsed}}</td>
        <td><form method="post" action="{{actionURL}}"><input type="hidden" name="csrf" value="{{chrome.csrf}}"><input type="hidden" name="action" value="revoke-token"><input type="hidden" name="token" value="{{id}}"><button type="submit" class="quiet" aria-label="Revoke token {{name}}">Revoke</button></form></td></tr>
        {{/tokens}}</tbody></table>{{/empty(tokens)}}{{^tokens}}<p class="empty">No tokens.</p>{{/tokens}}
        <form class="settings" method="post" action="{{actionURL}}">
        <input type="hidden" name="csrf" value="{{chrome.csrf}}"><input type="hidden" name="action" value="create-token">
        <label for="token-name">Token name</label><input id="token-name" name="name" maxlength="100" required>
        <fieldset><legend>Scopes</legend>
        <label><input type="checkbox" name="scope-read" checked> read</label>
        <label><input type="checkbox" name="scope-write"> write</label>
        <label><input type="checkbox" name="scope-delete"> delete</label>
        </fieldset>
        <button type="submit" id="token-create">Create token</button>
        </form>
        </section>
        {{#canChangePassword}}<section aria-labelledby="password-heading">
        <h2 id="password-heading">Password</h2>
        <form class="settings" method="post" action="{{actionURL}}">
        <input type="hidden" name="csrf" value="{{chrome.csrf}}"><input type="hidden" name="action" value="password">
        <label for="current-password">Current password</label><input id="current-password" name="current" type="password" autocomplete="current-password" required>
        <label for="new-password">New password</label><input id="new-password" name="password" type="password" autocomplete="new-password" required>
        <label for="repeat-password">New password again</label><input id="repeat-password" name="repeat" type="password" autocomplete="new-password" required>
        <button type="submit">Change password</button>
        </form>
        </section>{{/canChangePassword}}
        {{^canChangePassword}}<p class="meta">Your password is kept in the registry's htpasswd file; its administrator changes it.</p>{{/canChangePassword}}
        {{/content}}{{/layout}}
        """#

    static let namespace = #"""
        {{% CONTENT_TYPE: PIER_HTML}}{{<layout}}{{$content}}
        <h1>{{name}}</h1>
        <p class="meta">{{#isOrganization}}Organisation{{/isOrganization}}{{^isOrganization}}User{{/isOrganization}} · {{total}}</p>
        {{^empty(organizations)}}<p>Member of {{#organizations}}<a href="{{url}}">{{label}}</a> {{/organizations}}</p>{{/empty(organizations)}}
        <section aria-labelledby="repositories-heading">
        <h2 id="repositories-heading">Repositories</h2>
        {{#repositories}}{{> cards}}{{/repositories}}
        {{> pages}}
        </section>
        {{#showTeams}}<section aria-labelledby="teams-heading">
        <h2 id="teams-heading">Teams</h2>
        {{^empty(teams)}}<table class="teams"><thead><tr><th scope="col">Team</th><th scope="col">Permission</th><th scope="col">Members</th></tr></thead><tbody>
        {{#teams}}<tr><td>{{name}}</td><td>{{permission}}</td><td>{{members}}</td></tr>
        {{/teams}}</tbody></table>{{/empty(teams)}}{{^teams}}<p class="empty">No teams.</p>{{/teams}}
        </section>{{/showTeams}}
        {{/content}}{{/layout}}
        """#

    static let admin = #"""
        {{% CONTENT_TYPE: PIER_HTML}}{{<layout}}{{$content}}
        <h1>Administration</h1>
        {{> messages}}
        <section aria-labelledby="users-heading">
        <h2 id="users-heading">Users</h2>
        <table class="users"><thead><tr><th scope="col">User</th><th scope="col">Kept in</th><th scope="col">Created</th><th scope="col">State</th></tr></thead><tbody>
        {{#users}}<tr><td><a href="{{chrome.base}}/u/{{name}}">{{name}}</a></td><td>{{source}}</td><td>{{created}}</td><td>{{#fromIndex}}<form method="post" action="{{actionURL}}"><input type="hidden" name="csrf" value="{{chrome.csrf}}"><input type="hidden" name="user" value="{{name}}">{{#disabled}}disabled <input type="hidden" name="action" value="enable-user"><button type="submit" class="quiet" aria-label="Enable {{name}}">Enable</button>{{/disabled}}{{^disabled}}active <input type="hidden" name="action" value="disable-user"><button type="submit" class="quiet" aria-label="Disable {{name}}">Disable</button>{{/disabled}}</form>{{/fromIndex}}{{^fromIndex}}active{{/fromIndex}}</td></tr>
        {{/users}}</tbody></table>
        <form class="settings" method="post" action="{{actionURL}}">
        <input type="hidden" name="csrf" value="{{chrome.csrf}}"><input type="hidden" name="action" value="create-user">
        <label for="new-user">User name</label><input id="new-user" name="name" maxlength="64" required>
        <label for="new-user-password">Password</label><input id="new-user-password" name="password" type="password" autocomplete="new-password" required>
        <button type="submit" id="user-create">Create user</button>
        </form>
        </section>
        {{#hasOrganizations}}<section aria-labelledby="orgs-heading">
        <h2 id="orgs-heading">Organisations</h2>
        {{^empty(organizations)}}<ul>{{#organizations}}<li><a href="{{url}}">{{label}}</a></li>{{/organizations}}</ul>{{/empty(organizations)}}{{^organizations}}<p class="empty">No organisations.</p>{{/organizations}}
        <form class="settings" method="post" action="{{actionURL}}">
        <input type="hidden" name="csrf" value="{{chrome.csrf}}"><input type="hidden" name="action" value="create-org">
        <label for="new-org">Organisation name</label><input id="new-org" name="name" maxlength="64" required>
        <button type="submit" id="org-create">Create organisation</button>
        </form>
        </section>{{/hasOrganizations}}
        {{/content}}{{/layout}}
        """#

    static let notFound = #"""
        {{% CONTENT_TYPE: PIER_HTML}}{{<layout}}{{$content}}
        <h1>{{heading}}</h1>
        <p>{{message}}</p>
        {{#comment}}<form class="comment" method="post" action="{{url}}">
        <input type="hidden" name="csrf" value="{{chrome.csrf}}">
        <label for="comment-body">Your comment</label>
        <textarea id="comment-body" name="body" rows="6" required>{{body}}</textarea>
        <button type="submit">Comment</button>
        </form>{{/comment}}
        {{#back}}<p><a href="{{url}}">{{label}}</a></p>{{/back}}{{^back}}<p><a href="{{chrome.base}}/">Back to the start</a></p>{{/back}}
        {{/content}}{{/layout}}
        """#

    /// HTML escaping of the same five characters as swift-mustache's own, over UTF-8 bytes
    /// rather than `Character`s and a dictionary (a fifth of a page's rendering time). Each
    /// template opens with `{{% CONTENT_TYPE: PIER_HTML}}`; one that did not would still be
    /// escaped, by the library's own slower escaping.
    struct FastHTML: MustacheContentType {
        static let name = "PIER_HTML"

        func escapeText(_ text: String) -> String {
            let utf8 = text.utf8
            guard utf8.contains(where: { $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") || $0 == UInt8(ascii: "&") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "'") }) else {
                return text
            }
            var out = [UInt8]()
            out.reserveCapacity(utf8.count + 16)
            for byte in utf8 {
                switch byte {
                case UInt8(ascii: "<"): out.append(contentsOf: "&lt;".utf8)
                case UInt8(ascii: ">"): out.append(contentsOf: "&gt;".utf8)
                case UInt8(ascii: "&"): out.append(contentsOf: "&amp;".utf8)
                case UInt8(ascii: "\""): out.append(contentsOf: "&quot;".utf8)
                case UInt8(ascii: "'"): out.append(contentsOf: "&#39;".utf8)
                default: out.append(byte)
                }
            }
            return String(decoding: out, as: UTF8.self)
        }
    }
}
