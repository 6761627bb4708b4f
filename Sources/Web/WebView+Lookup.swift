import Mustache

/// How templates read the page models: by name, through a switch, never by reflection.
/// swift-mustache falls back to `Mirror` for other values, a reflection of every field
/// for every name it looks up, at every level of the stack it climbs: most of the time a
/// page took. A nil field answers `false`, never nothing: for nothing Mustache would look
/// in the enclosing objects, where a tag row's missing "last pulled" would find the
/// repository's. `WebViewLookupTests` keeps these in step with `WebView`'s fields.

extension WebView.Chrome: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "base": base
        case "title": title
        case "query": query
        case "assetVersion": assetVersion
        case "user": user as Any? ?? false
        case "csrf": csrf
        case "loginURL": loginURL
        case "isAdministrator": isAdministrator
        default: nil
        }
    }
}

extension WebView.When: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "iso": iso
        case "ago": ago
        default: nil
        }
    }
}

extension WebView.Card: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "name": name
        case "url": url
        case "description": description
        case "hasDescription": hasDescription
        case "stars": stars
        case "pulls": pulls
        case "pushed": pushed as Any? ?? false
        default: nil
        }
    }
}

extension WebView.CardList: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "cards": cards
        default: nil
        }
    }
}

extension WebView.Home: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "host": host
        case "recent": recent
        case "popular": popular
        case "mine": mine as Any? ?? false
        default: nil
        }
    }
}

extension WebView.Mine: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "user": user
        case "userURL": userURL
        case "repositories": repositories
        case "organizations": organizations
        case "starred": starred
        default: nil
        }
    }
}

extension WebView.PageLink: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "url": url
        case "label": label
        case "current": current
        default: nil
        }
    }
}

extension WebView.Pager: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "links": links
        default: nil
        }
    }
}

extension WebView.Search: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "query": query
        case "hasQuery": hasQuery
        case "total": total
        case "results": results
        case "pager": pager as Any? ?? false
        default: nil
        }
    }
}

extension WebView.TagRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "name": name
        case "url": url
        case "digest": digest
        case "shortDigest": shortDigest
        case "size": size
        case "platforms": platforms
        case "pushed": pushed
        case "pusher": pusher
        case "lastPulled": lastPulled as Any? ?? false
        default: nil
        }
    }
}

extension WebView.SortLink: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "label": label
        case "url": url
        case "current": current
        default: nil
        }
    }
}

extension WebView.Comment: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "author": author
        case "created": created
        case "html": html
        default: nil
        }
    }
}

extension WebView.Repository: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "name": name
        case "namespace": namespace as Any? ?? false
        case "namespaceURL": namespaceURL as Any? ?? false
        case "shortName": shortName
        case "description": description
        case "hasDescription": hasDescription
        case "stars": stars
        case "pulls": pulls
        case "tagCount": tagCount
        case "pushed": pushed as Any? ?? false
        case "lastPulled": lastPulled as Any? ?? false
        case "pullCommand": pullCommand
        case "overviewHTML": overviewHTML
        case "hasOverview": hasOverview
        case "sorts": sorts
        case "tags": tags
        case "pager": pager as Any? ?? false
        case "comments": comments
        case "commentCount": commentCount
        case "signedIn": signedIn
        case "starred": starred
        case "starURL": starURL
        case "commentURL": commentURL
        case "signInURL": signInURL
        case "commentLimit": commentLimit
        case "canAdminister": canAdminister
        case "settingsURL": settingsURL
        default: nil
        }
    }
}

extension WebView.Collaborator: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "user": user
        case "role": role
        default: nil
        }
    }
}

extension WebView.Delivery: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "hookID": hookID
        case "id": id
        case "event": event
        case "status": status
        case "succeeded": succeeded
        case "at": at
        case "error": error as Any? ?? false
        default: nil
        }
    }
}

extension WebView.Hook: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": id
        case "url": url
        case "events": events
        case "active": active
        case "deliveries": deliveries
        default: nil
        }
    }
}

extension WebView.RepositorySettings: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "name": name
        case "repositoryURL": repositoryURL
        case "actionURL": actionURL
        case "notice": notice as Any? ?? false
        case "error": error as Any? ?? false
        case "description": description
        case "overview": overview
        case "previewHTML": previewHTML as Any? ?? false
        case "hasVisibility": hasVisibility
        case "isPublic": isPublic
        case "collaborators": collaborators
        case "webhooksAvailable": webhooksAvailable
        case "webhooks": webhooks
        case "events": events
        case "tags": tags
        default: nil
        }
    }
}

extension WebView.TokenRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "id": id
        case "name": name
        case "scopes": scopes
        case "created": created
        case "lastUsed": lastUsed as Any? ?? false
        default: nil
        }
    }
}

extension WebView.Account: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "user": user
        case "actionURL": actionURL
        case "notice": notice as Any? ?? false
        case "error": error as Any? ?? false
        case "createdToken": createdToken as Any? ?? false
        case "canChangePassword": canChangePassword
        case "tokens": tokens
        default: nil
        }
    }
}

extension WebView.Login: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "csrf": csrf
        case "next": next
        case "error": error as Any? ?? false
        case "available": available
        default: nil
        }
    }
}

extension WebView.Logout: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        default: nil
        }
    }
}

extension WebView.KeyValue: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "key": key
        case "value": value
        default: nil
        }
    }
}

extension WebView.Layer: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "index": index
        case "digest": digest
        case "shortDigest": shortDigest
        case "mediaType": mediaType
        case "size": size
        default: nil
        }
    }
}

extension WebView.Step: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "command": command
        case "created": created as Any? ?? false
        case "emptyLayer": emptyLayer
        case "comment": comment as Any? ?? false
        default: nil
        }
    }
}

extension WebView.Image: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "platform": platform
        case "anchor": anchor
        case "digest": digest
        case "size": size
        case "layers": layers
        case "entrypoint": entrypoint as Any? ?? false
        case "command": command as Any? ?? false
        case "user": user as Any? ?? false
        case "workingDir": workingDir as Any? ?? false
        case "environment": environment
        case "ports": ports
        case "labels": labels
        case "history": history
        case "annotations": annotations
        case "hasConfig": hasConfig
        default: nil
        }
    }
}

extension WebView.Referrer: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "artifactType": artifactType
        case "digest": digest
        case "shortDigest": shortDigest
        case "size": size
        case "annotations": annotations
        default: nil
        }
    }
}

extension WebView.Tag: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "repository": repository
        case "repositoryURL": repositoryURL
        case "tag": tag
        case "digest": digest
        case "mediaType": mediaType
        case "isIndex": isIndex
        case "size": size
        case "pushed": pushed as Any? ?? false
        case "pusher": pusher as Any? ?? false
        case "pullCommand": pullCommand
        case "images": images
        case "annotations": annotations
        case "referrers": referrers
        default: nil
        }
    }
}

extension WebView.UserRow: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "name": name
        case "source": source
        case "fromIndex": fromIndex
        case "disabled": disabled
        case "created": created
        default: nil
        }
    }
}

extension WebView.Admin: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "actionURL": actionURL
        case "notice": notice as Any? ?? false
        case "error": error as Any? ?? false
        case "users": users
        case "hasOrganizations": hasOrganizations
        case "organizations": organizations
        default: nil
        }
    }
}

extension WebView.TeamCard: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "name": name
        case "permission": permission
        case "members": members
        default: nil
        }
    }
}

extension WebView.Namespace: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "name": name
        case "isOrganization": isOrganization
        case "total": total
        case "repositories": repositories
        case "pager": pager as Any? ?? false
        case "organizations": organizations
        case "teams": teams
        case "showTeams": showTeams
        default: nil
        }
    }
}

extension WebView.Link: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "label": label
        case "url": url
        default: nil
        }
    }
}

extension WebView.NotFound: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "chrome": chrome
        case "message": message
        default: nil
        }
    }
}
