/// The index API described as OpenAPI 3.1, served at `/api/v1/openapi.json` so clients can
/// be generated and requests checked against it. Kept beside the routes it describes; the
/// end-to-end suite checks that every path it names answers.
enum OpenAPIDocument {
    static let json = #"""
{
 "openapi": "3.1.0",
 "info": {
  "title": "Pier index API",
  "version": "1",
  "description": "Search, repositories and tags, organisations and teams, stars, comments, collaborators, webhooks and personal access tokens. Errors have the registry's shape. Authentication: HTTP Basic (a password or a personal access token), or a bearer token from the registry's token server. Pages carry a `Link` header to the next one."
 },
 "servers": [
  {
   "url": "/"
  }
 ],
 "security": [
  {},
  {
   "basic": []
  },
  {
   "bearer": []
  }
 ],
 "paths": {
  "/api/v1/openapi.json": {
   "get": {
    "summary": "This document",
    "security": [
     {}
    ],
    "responses": {
     "200": {
      "description": "OpenAPI 3.1",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/search": {
   "get": {
    "summary": "Repositories matching a query, best first, that the caller may see",
    "parameters": [
     {
      "name": "q",
      "in": "query",
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "page",
      "in": "query",
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 100000,
       "default": 1
      }
     },
     {
      "name": "page_size",
      "in": "query",
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 100,
       "default": 25
      }
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "count",
          "page",
          "page_size",
          "results"
         ],
         "properties": {
          "count": {
           "type": "integer"
          },
          "page": {
           "type": "integer"
          },
          "page_size": {
           "type": "integer"
          },
          "results": {
           "type": "array",
           "items": {
            "$ref": "#/components/schemas/SearchHit"
           }
          }
         }
        }
       }
      },
      "headers": {
       "Link": {
        "description": "The next page, as `<url>; rel=\"next\"`",
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "400": {
      "description": "The request is malformed (`REQUEST_INVALID`, `PAGINATION_NUMBER_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials are needed or wrong (`UNAUTHORIZED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "The repository does not exist, or the caller may not see it (`NAME_UNKNOWN`); or another resource is not there (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "503": {
      "description": "The index database is not available",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/repositories/{name}": {
   "parameters": [
    {
     "name": "name",
     "in": "path",
     "required": true,
     "description": "The repository name; it may hold slashes (`team/app`), as in `/v2/`.",
     "schema": {
      "type": "string",
      "pattern": "^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*)*$",
      "maxLength": 255
     },
     "allowReserved": true
    }
   ],
   "get": {
    "summary": "A repository",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Repository"
        }
       }
      }
     },
     "400": {
      "description": "The request is malformed (`REQUEST_INVALID`, `PAGINATION_NUMBER_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials are needed or wrong (`UNAUTHORIZED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "The repository does not exist, or the caller may not see it (`NAME_UNKNOWN`); or another resource is not there (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "503": {
      "description": "The index database is not available",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   },
   "patch": {
    "summary": "Edit description, overview, visibility (repository administrators)",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/RepositoryChange"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Repository"
        }
       }
      }
     },
     "403": {
      "description": "Not an administrator (`DENIED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "413": {
      "description": "Body too large (`SIZE_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "400": {
      "description": "The request is malformed (`REQUEST_INVALID`, `PAGINATION_NUMBER_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials are needed or wrong (`UNAUTHORIZED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "The repository does not exist, or the caller may not see it (`NAME_UNKNOWN`); or another resource is not there (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "503": {
      "description": "The index database is not available",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   },
   "delete": {
    "summary": "Delete the repository and its content: manifests, tags, layer links, unfinished uploads, and what the index holds of it (stars, comments, collaborators, its webhooks). Blobs stay for garbage collection; nested repositories stay. Needs storage.delete.enabled.",
    "responses": {
     "204": {
      "description": "Deleted"
     },
     "400": {
      "description": "The repository name is malformed (`NAME_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Log in first",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "403": {
      "description": "Not the repository's administrator",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "No such repository (or one the caller may not see)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "405": {
      "description": "Deletes are disabled (storage.delete.enabled)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/repositories/{name}/tags": {
   "parameters": [
    {
     "name": "name",
     "in": "path",
     "required": true,
     "description": "The repository name; it may hold slashes (`team/app`), as in `/v2/`.",
     "schema": {
      "type": "string",
      "pattern": "^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*)*$",
      "maxLength": 255
     },
     "allowReserved": true
    }
   ],
   "get": {
    "summary": "Tags",
    "parameters": [
     {
      "name": "sort",
      "in": "query",
      "schema": {
       "type": "string",
       "enum": [
        "pushed",
        "name",
        "size"
       ],
       "default": "pushed"
      }
     },
     {
      "name": "page",
      "in": "query",
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 100000,
       "default": 1
      }
     },
     {
      "name": "page_size",
      "in": "query",
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 100,
       "default": 25
      }
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "count",
          "page",
          "page_size",
          "results"
         ],
         "properties": {
          "count": {
           "type": "integer"
          },
          "page": {
           "type": "integer"
          },
          "page_size": {
           "type": "integer"
          },
          "results": {
           "type": "array",
           "items": {
            "$ref": "#/components/schemas/Tag"
           }
          }
         }
        }
       }
      },
      "headers": {
       "Link": {
        "description": "The next page, as `<url>; rel=\"next\"`",
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "400": {
      "description": "The request is malformed (`REQUEST_INVALID`, `PAGINATION_NUMBER_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials are needed or wrong (`UNAUTHORIZED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "The repository does not exist, or the caller may not see it (`NAME_UNKNOWN`); or another resource is not there (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "503": {
      "description": "The index database is not available",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/repositories/{name}/star": {
   "parameters": [
    {
     "name": "name",
     "in": "path",
     "required": true,
     "description": "The repository name; it may hold slashes (`team/app`), as in `/v2/`.",
     "schema": {
      "type": "string",
      "pattern": "^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*)*$",
      "maxLength": 255
     },
     "allowReserved": true
    }
   ],
   "put": {
    "summary": "Star",
    "responses": {
     "204": {
      "description": "Starred"
     },
     "403": {
      "description": "A read-only token",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "400": {
      "description": "The request is malformed (`REQUEST_INVALID`, `PAGINATION_NUMBER_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials are needed or wrong (`UNAUTHORIZED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "The repository does not exist, or the caller may not see it (`NAME_UNKNOWN`); or another resource is not there (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "503": {
      "description": "The index database is not available",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   },
   "delete": {
    "summary": "Unstar",
    "responses": {
     "204": {
      "description": "Not starred"
     },
     "400": {
      "description": "The request is malformed (`REQUEST_INVALID`, `PAGINATION_NUMBER_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials are needed or wrong (`UNAUTHORIZED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "The repository does not exist, or the caller may not see it (`NAME_UNKNOWN`); or another resource is not there (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "503": {
      "description": "The index database is not available",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/repositories/{name}/comments": {
   "parameters": [
    {
     "name": "name",
     "in": "path",
     "required": true,
     "description": "The repository name; it may hold slashes (`team/app`), as in `/v2/`.",
     "schema": {
      "type": "string",
      "pattern": "^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*)*$",
      "maxLength": 255
     },
     "allowReserved": true
    }
   ],
   "get": {
    "summary": "Comments, oldest first",
    "parameters": [
     {
      "name": "page",
      "in": "query",
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 100000,
       "default": 1
      }
     },
     {
      "name": "page_size",
      "in": "query",
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 100,
       "default": 25
      }
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "count",
          "page",
          "page_size",
          "results"
         ],
         "properties": {
          "count": {
           "type": "integer"
          },
          "page": {
           "type": "integer"
          },
          "page_size": {
           "type": "integer"
          },
          "results": {
           "type": "array",
           "items": {
            "$ref": "#/components/schemas/Comment"
           }
          }
         }
        }
       }
      },
      "headers": {
       "Link": {
        "description": "The next page, as `<url>; rel=\"next\"`",
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "400": {
      "description": "The request is malformed (`REQUEST_INVALID`, `PAGINATION_NUMBER_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials are needed or wrong (`UNAUTHORIZED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "The repository does not exist, or the caller may not see it (`NAME_UNKNOWN`); or another resource is not there (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "503": {
      "description": "The index database is not available",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   },
   "post": {
    "summary": "Comment (needs a user; 10 a minute)",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/CommentText"
       }
      }
     }
    },
    "responses": {
     "201": {
      "description": "Created",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Comment"
        }
       }
      }
     },
     "400": {
      "description": "The request is malformed (`REQUEST_INVALID`, `PAGINATION_NUMBER_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials are needed or wrong (`UNAUTHORIZED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "403": {
      "description": "A read-only token",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "The repository does not exist, or the caller may not see it (`NAME_UNKNOWN`); or another resource is not there (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "413": {
      "description": "The body is larger than the endpoint reads (`SIZE_INVALID`); nothing is stored",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "429": {
      "description": "Too many comments (`TOOMANYREQUESTS`, with `Retry-After`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "503": {
      "description": "The index database is not available",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/repositories/{name}/comments/{id}": {
   "parameters": [
    {
     "name": "name",
     "in": "path",
     "required": true,
     "description": "The repository name; it may hold slashes (`team/app`), as in `/v2/`.",
     "schema": {
      "type": "string",
      "pattern": "^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*)*$",
      "maxLength": 255
     },
     "allowReserved": true
    },
    {
     "name": "id",
     "in": "path",
     "required": true,
     "schema": {
      "type": "integer",
      "minimum": 1
     }
    }
   ],
   "get": {
    "summary": "A comment",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Comment"
        }
       }
      }
     },
     "400": {
      "description": "The request is malformed (`REQUEST_INVALID`, `PAGINATION_NUMBER_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials are needed or wrong (`UNAUTHORIZED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "The repository does not exist, or the caller may not see it (`NAME_UNKNOWN`); or another resource is not there (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "503": {
      "description": "The index database is not available",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   },
   "patch": {
    "summary": "Edit (author or administrator)",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/CommentText"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Comment"
        }
       }
      }
     },
     "400": {
      "description": "The request is malformed (`REQUEST_INVALID`, `PAGINATION_NUMBER_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials are needed or wrong (`UNAUTHORIZED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "403": {
      "description": "Neither author nor administrator",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "The repository does not exist, or the caller may not see it (`NAME_UNKNOWN`); or another resource is not there (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "413": {
      "description": "The body is larger than the endpoint reads (`SIZE_INVALID`); nothing is stored",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "503": {
      "description": "The index database is not available",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   },
   "delete": {
    "summary": "Delete (author or administrator)",
    "responses": {
     "204": {
      "description": "Deleted"
     },
     "403": {
      "description": "Neither author nor administrator",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "400": {
      "description": "The request is malformed (`REQUEST_INVALID`, `PAGINATION_NUMBER_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials are needed or wrong (`UNAUTHORIZED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "The repository does not exist, or the caller may not see it (`NAME_UNKNOWN`); or another resource is not there (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "503": {
      "description": "The index database is not available",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/repositories/{name}/collaborators": {
   "parameters": [
    {
     "name": "name",
     "in": "path",
     "required": true,
     "description": "The repository name; it may hold slashes (`team/app`), as in `/v2/`.",
     "schema": {
      "type": "string",
      "pattern": "^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*)*$",
      "maxLength": 255
     },
     "allowReserved": true
    }
   ],
   "get": {
    "summary": "Collaborators (administrators)",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "results": {
           "type": "array",
           "items": {
            "$ref": "#/components/schemas/Collaborator"
           }
          }
         }
        }
       }
      }
     },
     "403": {
      "description": "Not an administrator",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "400": {
      "description": "The request is malformed (`REQUEST_INVALID`, `PAGINATION_NUMBER_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials are needed or wrong (`UNAUTHORIZED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "The repository does not exist, or the caller may not see it (`NAME_UNKNOWN`); or another resource is not there (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "503": {
      "description": "The index database is not available",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/repositories/{name}/collaborators/{user}": {
   "parameters": [
    {
     "name": "name",
     "in": "path",
     "required": true,
     "description": "The repository name; it may hold slashes (`team/app`), as in `/v2/`.",
     "schema": {
      "type": "string",
      "pattern": "^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*)*$",
      "maxLength": 255
     },
     "allowReserved": true
    },
    {
     "name": "user",
     "in": "path",
     "required": true,
     "schema": {
      "type": "string",
      "maxLength": 128
     }
    }
   ],
   "put": {
    "summary": "Grant a role (administrators; needs index.namespaces)",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "additionalProperties": false,
        "required": [
         "role"
        ],
        "properties": {
         "role": {
          "type": "string",
          "enum": [
           "read",
           "write",
           "admin"
          ]
         }
        }
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Collaborator"
        }
       }
      }
     },
     "400": {
      "description": "The request is malformed (`REQUEST_INVALID`, `PAGINATION_NUMBER_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials are needed or wrong (`UNAUTHORIZED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "403": {
      "description": "Not an administrator",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "The repository does not exist, or the caller may not see it (`NAME_UNKNOWN`); or another resource is not there (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "413": {
      "description": "The body is larger than the endpoint reads (`SIZE_INVALID`); nothing is stored",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "503": {
      "description": "The index database is not available",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   },
   "delete": {
    "summary": "Take the role away",
    "responses": {
     "204": {
      "description": "Removed"
     },
     "403": {
      "description": "Not an administrator",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "400": {
      "description": "The request is malformed (`REQUEST_INVALID`, `PAGINATION_NUMBER_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials are needed or wrong (`UNAUTHORIZED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "The repository does not exist, or the caller may not see it (`NAME_UNKNOWN`); or another resource is not there (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "503": {
      "description": "The index database is not available",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/repositories/{name}/webhooks": {
   "parameters": [
    {
     "name": "name",
     "in": "path",
     "required": true,
     "description": "The repository name; it may hold slashes (`team/app`), as in `/v2/`.",
     "schema": {
      "type": "string",
      "pattern": "^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*)*$",
      "maxLength": 255
     },
     "allowReserved": true
    }
   ],
   "get": {
    "summary": "Webhooks (administrators)",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "results": {
           "type": "array",
           "items": {
            "$ref": "#/components/schemas/Webhook"
           }
          }
         }
        }
       }
      }
     },
     "403": {
      "description": "Not an administrator",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "400": {
      "description": "The request is malformed (`REQUEST_INVALID`, `PAGINATION_NUMBER_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials are needed or wrong (`UNAUTHORIZED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "The repository does not exist, or the caller may not see it (`NAME_UNKNOWN`); or another resource is not there (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "503": {
      "description": "The index database is not available",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   },
   "post": {
    "summary": "Add a webhook",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/WebhookSettings"
       }
      }
     }
    },
    "responses": {
     "201": {
      "description": "Created",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Webhook"
        }
       }
      }
     },
     "400": {
      "description": "The request is malformed (`REQUEST_INVALID`, `PAGINATION_NUMBER_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials are needed or wrong (`UNAUTHORIZED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "403": {
      "description": "Not an administrator",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "The repository does not exist, or the caller may not see it (`NAME_UNKNOWN`); or another resource is not there (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "413": {
      "description": "The body is larger than the endpoint reads (`SIZE_INVALID`); nothing is stored",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "503": {
      "description": "The index database is not available",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/repositories/{name}/webhooks/{id}": {
   "parameters": [
    {
     "name": "name",
     "in": "path",
     "required": true,
     "description": "The repository name; it may hold slashes (`team/app`), as in `/v2/`.",
     "schema": {
      "type": "string",
      "pattern": "^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*)*$",
      "maxLength": 255
     },
     "allowReserved": true
    },
    {
     "name": "id",
     "in": "path",
     "required": true,
     "schema": {
      "type": "string"
     }
    }
   ],
   "get": {
    "summary": "A webhook",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Webhook"
        }
       }
      }
     },
     "400": {
      "description": "The request is malformed (`REQUEST_INVALID`, `PAGINATION_NUMBER_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials are needed or wrong (`UNAUTHORIZED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "The repository does not exist, or the caller may not see it (`NAME_UNKNOWN`); or another resource is not there (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "503": {
      "description": "The index database is not available",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   },
   "patch": {
    "summary": "Change a webhook",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/WebhookChange"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Webhook"
        }
       }
      }
     },
     "400": {
      "description": "The request is malformed (`REQUEST_INVALID`, `PAGINATION_NUMBER_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials are needed or wrong (`UNAUTHORIZED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "The repository does not exist, or the caller may not see it (`NAME_UNKNOWN`); or another resource is not there (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "413": {
      "description": "The body is larger than the endpoint reads (`SIZE_INVALID`); nothing is stored",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "503": {
      "description": "The index database is not available",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   },
   "delete": {
    "summary": "Delete a webhook and its history",
    "responses": {
     "204": {
      "description": "Deleted"
     },
     "400": {
      "description": "The request is malformed (`REQUEST_INVALID`, `PAGINATION_NUMBER_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials are needed or wrong (`UNAUTHORIZED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "The repository does not exist, or the caller may not see it (`NAME_UNKNOWN`); or another resource is not there (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "503": {
      "description": "The index database is not available",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/repositories/{name}/webhooks/{id}/deliveries": {
   "parameters": [
    {
     "name": "name",
     "in": "path",
     "required": true,
     "description": "The repository name; it may hold slashes (`team/app`), as in `/v2/`.",
     "schema": {
      "type": "string",
      "pattern": "^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*)*$",
      "maxLength": 255
     },
     "allowReserved": true
    },
    {
     "name": "id",
     "in": "path",
     "required": true,
     "schema": {
      "type": "string"
     }
    }
   ],
   "get": {
    "summary": "Delivery history, newest first",
    "parameters": [
     {
      "name": "page",
      "in": "query",
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 100000,
       "default": 1
      }
     },
     {
      "name": "page_size",
      "in": "query",
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 100,
       "default": 25
      }
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "count",
          "page",
          "page_size",
          "results"
         ],
         "properties": {
          "count": {
           "type": "integer"
          },
          "page": {
           "type": "integer"
          },
          "page_size": {
           "type": "integer"
          },
          "results": {
           "type": "array",
           "items": {
            "$ref": "#/components/schemas/Delivery"
           }
          }
         }
        }
       }
      },
      "headers": {
       "Link": {
        "description": "The next page, as `<url>; rel=\"next\"`",
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "400": {
      "description": "The request is malformed (`REQUEST_INVALID`, `PAGINATION_NUMBER_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials are needed or wrong (`UNAUTHORIZED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "The repository does not exist, or the caller may not see it (`NAME_UNKNOWN`); or another resource is not there (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "503": {
      "description": "The index database is not available",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/repositories/{name}/webhooks/{id}/deliveries/{delivery}/redeliver": {
   "parameters": [
    {
     "name": "name",
     "in": "path",
     "required": true,
     "description": "The repository name; it may hold slashes (`team/app`), as in `/v2/`.",
     "schema": {
      "type": "string",
      "pattern": "^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*)*$",
      "maxLength": 255
     },
     "allowReserved": true
    },
    {
     "name": "id",
     "in": "path",
     "required": true,
     "schema": {
      "type": "string"
     }
    },
    {
     "name": "delivery",
     "in": "path",
     "required": true,
     "schema": {
      "type": "string"
     }
    }
   ],
   "post": {
    "summary": "Send a delivery's event again",
    "requestBody": {
     "required": true,
     "description": "Nothing is read from it, but every POST must be `application/json`: a page of another site cannot send one without the browser asking first.",
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "maxProperties": 0
       }
      }
     }
    },
    "responses": {
     "202": {
      "description": "Queued",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "status": {
           "type": "string"
          },
          "redelivery_of": {
           "type": "string"
          },
          "event_id": {
           "type": "string"
          }
         }
        }
       }
      }
     },
     "400": {
      "description": "The request is malformed (`REQUEST_INVALID`, `PAGINATION_NUMBER_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials are needed or wrong (`UNAUTHORIZED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "The repository does not exist, or the caller may not see it (`NAME_UNKNOWN`); or another resource is not there (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "413": {
      "description": "The body is larger than the endpoint reads (`SIZE_INVALID`); nothing is stored",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "503": {
      "description": "The index database is not available, or the webhook's queue is full and nothing was queued (`UNAVAILABLE`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/users/{user}/starred": {
   "get": {
    "summary": "What a user starred, that the caller may see",
    "parameters": [
     {
      "name": "user",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "results": {
           "type": "array",
           "items": {
            "type": "string"
           }
          }
         }
        }
       }
      }
     },
     "400": {
      "description": "The request is malformed (`REQUEST_INVALID`, `PAGINATION_NUMBER_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials are needed or wrong (`UNAUTHORIZED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "The repository does not exist, or the caller may not see it (`NAME_UNKNOWN`); or another resource is not there (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "503": {
      "description": "The index database is not available",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/tokens": {
   "get": {
    "summary": "The caller's personal access tokens (never the tokens themselves)",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "results": {
           "type": "array",
           "items": {
            "$ref": "#/components/schemas/AccessToken"
           }
          }
         }
        }
       }
      }
     },
     "403": {
      "description": "Called with a token",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "400": {
      "description": "The request is malformed (`REQUEST_INVALID`, `PAGINATION_NUMBER_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials are needed or wrong (`UNAUTHORIZED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "The repository does not exist, or the caller may not see it (`NAME_UNKNOWN`); or another resource is not there (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "503": {
      "description": "The index database is not available",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   },
   "post": {
    "summary": "Make a token (with a password); the answer holds it, once",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/AccessTokenRequest"
       }
      }
     }
    },
    "responses": {
     "201": {
      "description": "Created",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/AccessToken"
        }
       }
      }
     },
     "400": {
      "description": "The request is malformed (`REQUEST_INVALID`, `PAGINATION_NUMBER_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials are needed or wrong (`UNAUTHORIZED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "403": {
      "description": "Called with a token",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "The repository does not exist, or the caller may not see it (`NAME_UNKNOWN`); or another resource is not there (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "413": {
      "description": "The body is larger than the endpoint reads (`SIZE_INVALID`); nothing is stored",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "503": {
      "description": "The index database is not available",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/tokens/{id}": {
   "delete": {
    "summary": "Revoke a token",
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "204": {
      "description": "Revoked"
     },
     "400": {
      "description": "The request is malformed (`REQUEST_INVALID`, `PAGINATION_NUMBER_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials are needed or wrong (`UNAUTHORIZED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "The repository does not exist, or the caller may not see it (`NAME_UNKNOWN`); or another resource is not there (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "503": {
      "description": "The index database is not available",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   }
  },
  "/v1/_ping": {
   "get": {
    "summary": "What `docker search` asks first",
    "security": [
     {}
    ],
    "responses": {
     "200": {
      "description": "true"
     }
    }
   }
  },
  "/v1/search": {
   "get": {
    "summary": "`docker search`",
    "parameters": [
     {
      "name": "q",
      "in": "query",
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "n",
      "in": "query",
      "schema": {},
      "description": "Results per page, a number; Docker's search reads anything else as 25 and clamps it to 1\u2013100."
     },
     {
      "name": "page",
      "in": "query",
      "schema": {},
      "description": "A number; Docker's search reads anything else as 1 and clamps it to at least 1."
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/DockerSearch"
        }
       }
      }
     },
     "401": {
      "description": "Wrong credentials",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/orgs": {
   "get": {
    "summary": "Every organisation",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "results": {
           "type": "array",
           "items": {
            "$ref": "#/components/schemas/Organization"
           }
          }
         }
        }
       }
      }
     },
     "400": {
      "description": "Malformed, or organisations without index.namespaces (`REQUEST_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials needed or wrong",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "403": {
      "description": "Not an owner or member (`DENIED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "No such organisation or team (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   },
   "post": {
    "summary": "Make an organisation; its creator is its first owner",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "additionalProperties": false,
        "required": [
         "name"
        ],
        "properties": {
         "name": {
          "type": "string",
          "maxLength": 64,
          "pattern": "^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$"
         }
        }
       }
      }
     }
    },
    "responses": {
     "201": {
      "description": "Created",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Organization"
        }
       }
      }
     },
     "400": {
      "description": "Malformed, or organisations without index.namespaces (`REQUEST_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials needed or wrong",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "403": {
      "description": "Not an owner or member (`DENIED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "No such organisation or team (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "409": {
      "description": "The name is an organisation's already, or its namespace holds repositories (`REQUEST_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "413": {
      "description": "The body is larger than the endpoint reads (`SIZE_INVALID`); nothing is stored",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/orgs/{org}": {
   "parameters": [
    {
     "name": "org",
     "in": "path",
     "required": true,
     "schema": {
      "type": "string"
     }
    }
   ],
   "get": {
    "summary": "An organisation (its teams for members)",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Organization"
        }
       }
      }
     },
     "400": {
      "description": "Malformed, or organisations without index.namespaces (`REQUEST_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials needed or wrong",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "403": {
      "description": "Not an owner or member (`DENIED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "No such organisation or team (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   },
   "delete": {
    "summary": "Delete an organisation with its teams, members and webhooks (owners, the registry's administrators); refused while it holds repositories",
    "responses": {
     "204": {
      "description": "Deleted"
     },
     "400": {
      "description": "Organisations without index.namespaces (`REQUEST_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials needed or wrong",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "403": {
      "description": "Not an owner (`DENIED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "No such organisation (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "409": {
      "description": "It still holds repositories: delete them first (`REQUEST_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/orgs/{org}/teams": {
   "parameters": [
    {
     "name": "org",
     "in": "path",
     "required": true,
     "schema": {
      "type": "string"
     }
    }
   ],
   "get": {
    "summary": "Teams (members)",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "results": {
           "type": "array",
           "items": {
            "$ref": "#/components/schemas/Team"
           }
          }
         }
        }
       }
      }
     },
     "400": {
      "description": "Malformed, or organisations without index.namespaces (`REQUEST_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials needed or wrong",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "403": {
      "description": "Not an owner or member (`DENIED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "No such organisation or team (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   },
   "post": {
    "summary": "Make a team (owners)",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "additionalProperties": false,
        "required": [
         "name"
        ],
        "properties": {
         "name": {
          "type": "string",
          "pattern": "^[a-z0-9._-]{1,64}$"
         },
         "permission": {
          "type": "string",
          "enum": [
           "read",
           "write",
           "admin"
          ],
          "default": "read"
         }
        }
       }
      }
     }
    },
    "responses": {
     "201": {
      "description": "Created",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Team"
        }
       }
      }
     },
     "400": {
      "description": "Malformed, or organisations without index.namespaces (`REQUEST_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials needed or wrong",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "403": {
      "description": "Not an owner or member (`DENIED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "No such organisation or team (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "409": {
      "description": "The organisation has a team of that name (`REQUEST_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "413": {
      "description": "The body is larger than the endpoint reads (`SIZE_INVALID`); nothing is stored",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/orgs/{org}/teams/{team}": {
   "parameters": [
    {
     "name": "org",
     "in": "path",
     "required": true,
     "schema": {
      "type": "string"
     }
    },
    {
     "name": "team",
     "in": "path",
     "required": true,
     "schema": {
      "type": "string"
     }
    }
   ],
   "get": {
    "summary": "A team (members)",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Team"
        }
       }
      }
     },
     "400": {
      "description": "Malformed, or organisations without index.namespaces (`REQUEST_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials needed or wrong",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "403": {
      "description": "Not an owner or member (`DENIED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "No such organisation or team (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   },
   "patch": {
    "summary": "Change a team's permission (owners; not the owners team)",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "additionalProperties": false,
        "required": [
         "permission"
        ],
        "properties": {
         "permission": {
          "type": "string",
          "enum": [
           "read",
           "write",
           "admin"
          ]
         }
        }
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Team"
        }
       }
      }
     },
     "400": {
      "description": "Malformed, or organisations without index.namespaces (`REQUEST_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials needed or wrong",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "403": {
      "description": "Not an owner or member (`DENIED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "No such organisation or team (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "413": {
      "description": "The body is larger than the endpoint reads (`SIZE_INVALID`); nothing is stored",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   },
   "delete": {
    "summary": "Remove a team (owners; not the owners team)",
    "responses": {
     "204": {
      "description": "Removed"
     },
     "400": {
      "description": "Malformed, or organisations without index.namespaces (`REQUEST_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials needed or wrong",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "403": {
      "description": "Not an owner or member (`DENIED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "No such organisation or team (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/orgs/{org}/teams/{team}/members/{user}": {
   "parameters": [
    {
     "name": "org",
     "in": "path",
     "required": true,
     "schema": {
      "type": "string"
     }
    },
    {
     "name": "team",
     "in": "path",
     "required": true,
     "schema": {
      "type": "string"
     }
    },
    {
     "name": "user",
     "in": "path",
     "required": true,
     "schema": {
      "type": "string"
     }
    }
   ],
   "put": {
    "summary": "Add a member (owners)",
    "responses": {
     "204": {
      "description": "Added"
     },
     "400": {
      "description": "Malformed, or organisations without index.namespaces (`REQUEST_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials needed or wrong",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "403": {
      "description": "Not an owner or member (`DENIED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "No such organisation or team (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   },
   "delete": {
    "summary": "Remove a member (owners; the owners team keeps one)",
    "responses": {
     "204": {
      "description": "Removed"
     },
     "400": {
      "description": "Malformed, or organisations without index.namespaces (`REQUEST_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials needed or wrong",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "403": {
      "description": "Not an owner or member (`DENIED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "No such organisation or team (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/users/{user}": {
   "parameters": [
    {
     "name": "user",
     "in": "path",
     "required": true,
     "schema": {
      "type": "string"
     }
    }
   ],
   "get": {
    "summary": "A user: the organisations they are in (and their account, to them and administrators)",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/User"
        }
       }
      }
     },
     "401": {
      "description": "Credentials are wrong (`UNAUTHORIZED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "Not a user name (`NOT_FOUND`); any other name answers, with no organisations, so that the answer does not tell who has an account",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "503": {
      "description": "The index database is not available",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   },
   "patch": {
    "summary": "Disable or enable a user (administrators), or change a password (the user with the current one, or an administrator); the index's users only",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/UserChange"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/User"
        }
       }
      }
     },
     "400": {
      "description": "A bad body",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "403": {
      "description": "Not allowed, or a wrong current password",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "No such user",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "409": {
      "description": "A user of the htpasswd file: change it with pier user",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "413": {
      "description": "The body is larger than the endpoint reads (`SIZE_INVALID`); nothing is stored",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   },
   "delete": {
    "summary": "Remove a user with their tokens, collaborations and team places (administrators); the index's users only",
    "responses": {
     "204": {
      "description": "Removed"
     },
     "403": {
      "description": "Not an administrator",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "No such user",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "409": {
      "description": "A user of the htpasswd file: remove it with pier user",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/orgs/{org}/webhooks": {
   "parameters": [
    {
     "name": "org",
     "in": "path",
     "required": true,
     "schema": {
      "type": "string"
     }
    }
   ],
   "get": {
    "summary": "Webhooks (owners) \u2014 an organisation's: every repository in it",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "results": {
           "type": "array",
           "items": {
            "$ref": "#/components/schemas/Webhook"
           }
          }
         }
        }
       }
      }
     },
     "403": {
      "description": "Not an administrator",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "400": {
      "description": "The request is malformed (`REQUEST_INVALID`, `PAGINATION_NUMBER_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials are needed or wrong (`UNAUTHORIZED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "The repository does not exist, or the caller may not see it (`NAME_UNKNOWN`); or another resource is not there (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "503": {
      "description": "The index database is not available",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   },
   "post": {
    "summary": "Add a webhook \u2014 an organisation's: every repository in it",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/WebhookSettings"
       }
      }
     }
    },
    "responses": {
     "201": {
      "description": "Created",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Webhook"
        }
       }
      }
     },
     "400": {
      "description": "The request is malformed (`REQUEST_INVALID`, `PAGINATION_NUMBER_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials are needed or wrong (`UNAUTHORIZED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "403": {
      "description": "Not an administrator",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "The repository does not exist, or the caller may not see it (`NAME_UNKNOWN`); or another resource is not there (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "413": {
      "description": "The body is larger than the endpoint reads (`SIZE_INVALID`); nothing is stored",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "503": {
      "description": "The index database is not available",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/orgs/{org}/webhooks/{id}": {
   "parameters": [
    {
     "name": "org",
     "in": "path",
     "required": true,
     "schema": {
      "type": "string"
     }
    },
    {
     "name": "id",
     "in": "path",
     "required": true,
     "schema": {
      "type": "string"
     }
    }
   ],
   "get": {
    "summary": "A webhook \u2014 an organisation's: every repository in it",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Webhook"
        }
       }
      }
     },
     "400": {
      "description": "The request is malformed (`REQUEST_INVALID`, `PAGINATION_NUMBER_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials are needed or wrong (`UNAUTHORIZED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "The repository does not exist, or the caller may not see it (`NAME_UNKNOWN`); or another resource is not there (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "503": {
      "description": "The index database is not available",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   },
   "patch": {
    "summary": "Change a webhook \u2014 an organisation's: every repository in it",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/WebhookChange"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Webhook"
        }
       }
      }
     },
     "400": {
      "description": "The request is malformed (`REQUEST_INVALID`, `PAGINATION_NUMBER_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials are needed or wrong (`UNAUTHORIZED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "The repository does not exist, or the caller may not see it (`NAME_UNKNOWN`); or another resource is not there (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "413": {
      "description": "The body is larger than the endpoint reads (`SIZE_INVALID`); nothing is stored",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "503": {
      "description": "The index database is not available",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   },
   "delete": {
    "summary": "Delete a webhook and its history \u2014 an organisation's: every repository in it",
    "responses": {
     "204": {
      "description": "Deleted"
     },
     "400": {
      "description": "The request is malformed (`REQUEST_INVALID`, `PAGINATION_NUMBER_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials are needed or wrong (`UNAUTHORIZED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "The repository does not exist, or the caller may not see it (`NAME_UNKNOWN`); or another resource is not there (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "503": {
      "description": "The index database is not available",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/orgs/{org}/webhooks/{id}/deliveries": {
   "parameters": [
    {
     "name": "org",
     "in": "path",
     "required": true,
     "schema": {
      "type": "string"
     }
    },
    {
     "name": "id",
     "in": "path",
     "required": true,
     "schema": {
      "type": "string"
     }
    }
   ],
   "get": {
    "summary": "Delivery history, newest first \u2014 an organisation's: every repository in it",
    "parameters": [
     {
      "name": "page",
      "in": "query",
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 100000,
       "default": 1
      }
     },
     {
      "name": "page_size",
      "in": "query",
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 100,
       "default": 25
      }
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "count",
          "page",
          "page_size",
          "results"
         ],
         "properties": {
          "count": {
           "type": "integer"
          },
          "page": {
           "type": "integer"
          },
          "page_size": {
           "type": "integer"
          },
          "results": {
           "type": "array",
           "items": {
            "$ref": "#/components/schemas/Delivery"
           }
          }
         }
        }
       }
      },
      "headers": {
       "Link": {
        "description": "The next page, as `<url>; rel=\"next\"`",
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "400": {
      "description": "The request is malformed (`REQUEST_INVALID`, `PAGINATION_NUMBER_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials are needed or wrong (`UNAUTHORIZED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "The repository does not exist, or the caller may not see it (`NAME_UNKNOWN`); or another resource is not there (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "503": {
      "description": "The index database is not available",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/orgs/{org}/webhooks/{id}/deliveries/{delivery}/redeliver": {
   "parameters": [
    {
     "name": "org",
     "in": "path",
     "required": true,
     "schema": {
      "type": "string"
     }
    },
    {
     "name": "id",
     "in": "path",
     "required": true,
     "schema": {
      "type": "string"
     }
    },
    {
     "name": "delivery",
     "in": "path",
     "required": true,
     "schema": {
      "type": "string"
     }
    }
   ],
   "post": {
    "summary": "Send a delivery's event again \u2014 an organisation's: every repository in it",
    "requestBody": {
     "required": true,
     "description": "Nothing is read from it, but every POST must be `application/json`: a page of another site cannot send one without the browser asking first.",
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "maxProperties": 0
       }
      }
     }
    },
    "responses": {
     "202": {
      "description": "Queued",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "status": {
           "type": "string"
          },
          "redelivery_of": {
           "type": "string"
          },
          "event_id": {
           "type": "string"
          }
         }
        }
       }
      }
     },
     "400": {
      "description": "The request is malformed (`REQUEST_INVALID`, `PAGINATION_NUMBER_INVALID`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "401": {
      "description": "Credentials are needed or wrong (`UNAUTHORIZED`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "404": {
      "description": "The repository does not exist, or the caller may not see it (`NAME_UNKNOWN`); or another resource is not there (`NOT_FOUND`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "413": {
      "description": "The body is larger than the endpoint reads (`SIZE_INVALID`); nothing is stored",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "503": {
      "description": "The index database is not available, or the webhook's queue is full and nothing was queued (`UNAVAILABLE`)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   }
  },
  "/api/v1/users": {
   "get": {
    "summary": "Every user, the htpasswd file's and the index's (administrators)",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "properties": {
          "results": {
           "type": "array",
           "items": {
            "$ref": "#/components/schemas/User"
           }
          }
         }
        }
       }
      }
     },
     "403": {
      "description": "Not an administrator",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   },
   "post": {
    "summary": "Make a user who logs in everywhere the file's users do (administrators, with their password)",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/NewUser"
       }
      }
     }
    },
    "responses": {
     "201": {
      "description": "Made",
      "headers": {
       "Location": {
        "schema": {
         "type": "string"
        }
       }
      },
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/User"
        }
       }
      }
     },
     "400": {
      "description": "A bad name, password or body",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "403": {
      "description": "Not an administrator",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "409": {
      "description": "The name is a user's or an organisation's already, or its namespace still holds repositories (a deleted user's)",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     },
     "413": {
      "description": "The body is larger than the endpoint reads (`SIZE_INVALID`); nothing is stored",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Errors"
        }
       }
      }
     }
    }
   }
  }
 },
 "components": {
  "securitySchemes": {
   "basic": {
    "type": "http",
    "scheme": "basic"
   },
   "bearer": {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT"
   }
  },
  "schemas": {
   "Errors": {
    "type": "object",
    "required": [
     "errors"
    ],
    "properties": {
     "errors": {
      "type": "array",
      "items": {
       "type": "object",
       "required": [
        "code",
        "message"
       ],
       "properties": {
        "code": {
         "type": "string"
        },
        "message": {
         "type": "string"
        },
        "detail": {
         "type": [
          "string",
          "null"
         ]
        }
       }
      }
     }
    }
   },
   "SearchHit": {
    "type": "object",
    "properties": {
     "name": {
      "type": "string"
     },
     "description": {
      "type": "string"
     },
     "star_count": {
      "type": "integer"
     },
     "pull_count": {
      "type": "integer"
     }
    }
   },
   "Repository": {
    "type": "object",
    "properties": {
     "name": {
      "type": "string"
     },
     "namespace": {
      "type": "string"
     },
     "description": {
      "type": "string"
     },
     "overview": {
      "type": "string"
     },
     "overview_html": {
      "type": "string",
      "description": "The overview rendered safely: no raw HTML, only http(s) links"
     },
     "created_at": {
      "type": "string",
      "format": "date-time"
     },
     "pushed_at": {
      "type": "string",
      "format": "date-time"
     },
     "pull_count": {
      "type": "integer"
     },
     "last_pulled_at": {
      "type": "string",
      "format": "date-time"
     },
     "star_count": {
      "type": "integer"
     },
     "tag_count": {
      "type": "integer"
     },
     "starred": {
      "type": "boolean"
     },
     "visibility": {
      "type": "string",
      "enum": [
       "public",
       "private"
      ],
      "description": "With index.namespaces only"
     },
     "is_private": {
      "type": "boolean"
     }
    }
   },
   "RepositoryChange": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "description": {
      "type": "string",
      "maxLength": 300
     },
     "overview": {
      "type": "string",
      "maxLength": 25000,
      "description": "Markdown"
     },
     "visibility": {
      "type": "string",
      "enum": [
       "public",
       "private"
      ]
     }
    }
   },
   "Tag": {
    "type": "object",
    "properties": {
     "name": {
      "type": "string"
     },
     "digest": {
      "type": "string"
     },
     "media_type": {
      "type": "string"
     },
     "size": {
      "type": "integer"
     },
     "platforms": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "pushed_at": {
      "type": "string",
      "format": "date-time"
     },
     "pusher": {
      "type": "string"
     },
     "last_pulled_at": {
      "type": "string",
      "format": "date-time"
     },
     "created_at": {
      "type": [
       "string",
       "null"
      ],
      "format": "date-time",
      "description": "When the image was built: its config's `created` (for an index, its linux/amd64 image's). Absent when unknown."
     },
     "labels": {
      "type": "object",
      "additionalProperties": {
       "type": "string"
      },
      "description": "The image's labels (`config.Labels`)."
     }
    }
   },
   "Comment": {
    "type": "object",
    "properties": {
     "id": {
      "type": "integer"
     },
     "author": {
      "type": "string"
     },
     "body": {
      "type": "string"
     },
     "body_html": {
      "type": "string"
     },
     "created_at": {
      "type": "string",
      "format": "date-time"
     },
     "updated_at": {
      "type": "string",
      "format": "date-time"
     }
    }
   },
   "CommentText": {
    "type": "object",
    "additionalProperties": false,
    "required": [
     "body"
    ],
    "properties": {
     "body": {
      "type": "string",
      "minLength": 1,
      "maxLength": 5000,
      "description": "Markdown"
     }
    }
   },
   "Collaborator": {
    "type": "object",
    "properties": {
     "user": {
      "type": "string"
     },
     "role": {
      "type": "string",
      "enum": [
       "read",
       "write",
       "admin"
      ]
     },
     "granted_at": {
      "type": "string",
      "format": "date-time"
     },
     "granted_by": {
      "type": "string"
     }
    }
   },
   "Webhook": {
    "type": "object",
    "properties": {
     "id": {
      "type": "string"
     },
     "url": {
      "type": "string"
     },
     "events": {
      "type": "array",
      "items": {
       "type": "string",
       "enum": [
        "push",
        "tag_delete",
        "manifest_delete"
       ]
      },
      "maxItems": 3
     },
     "format": {
      "type": "string",
      "enum": [
       "dockerhub",
       "cloudevents"
      ]
     },
     "active": {
      "type": "boolean"
     },
     "has_secret": {
      "type": "boolean"
     },
     "created_at": {
      "type": "string",
      "format": "date-time"
     },
     "created_by": {
      "type": "string"
     }
    }
   },
   "WebhookSettings": {
    "type": "object",
    "additionalProperties": false,
    "required": [
     "url",
     "events"
    ],
    "properties": {
     "url": {
      "type": "string",
      "format": "uri",
      "maxLength": 2000
     },
     "events": {
      "type": "array",
      "minItems": 1,
      "items": {
       "type": "string",
       "enum": [
        "push",
        "tag_delete",
        "manifest_delete"
       ]
      },
      "maxItems": 3
     },
     "format": {
      "type": "string",
      "enum": [
       "dockerhub",
       "cloudevents"
      ],
      "default": "dockerhub"
     },
     "secret": {
      "type": "string",
      "maxLength": 200,
      "description": "Deliveries carry X-Pier-Signature-256: sha256=<hex HMAC-SHA256 of the body>"
     },
     "active": {
      "type": "boolean",
      "default": true
     }
    }
   },
   "WebhookChange": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "url": {
      "type": "string",
      "format": "uri",
      "maxLength": 2000
     },
     "events": {
      "type": "array",
      "minItems": 1,
      "items": {
       "type": "string",
       "enum": [
        "push",
        "tag_delete",
        "manifest_delete"
       ]
      },
      "maxItems": 3
     },
     "format": {
      "type": "string",
      "enum": [
       "dockerhub",
       "cloudevents"
      ]
     },
     "secret": {
      "type": "string",
      "maxLength": 200
     },
     "active": {
      "type": "boolean"
     }
    }
   },
   "Delivery": {
    "type": "object",
    "properties": {
     "id": {
      "type": "string"
     },
     "event_id": {
      "type": "string"
     },
     "event": {
      "type": "string"
     },
     "attempt": {
      "type": "integer"
     },
     "delivered_at": {
      "type": "string",
      "format": "date-time"
     },
     "status": {
      "type": "integer",
      "description": "0: no answer"
     },
     "succeeded": {
      "type": "boolean"
     },
     "duration_ms": {
      "type": "integer"
     },
     "error": {
      "type": "string"
     },
     "request": {
      "type": "string"
     },
     "response": {
      "type": "string"
     },
     "redelivery_of": {
      "type": "string"
     }
    }
   },
   "AccessToken": {
    "type": "object",
    "properties": {
     "id": {
      "type": "string"
     },
     "name": {
      "type": "string"
     },
     "scopes": {
      "type": "array",
      "items": {
       "type": "string",
       "enum": [
        "read",
        "write",
        "delete"
       ]
      }
     },
     "created_at": {
      "type": "string",
      "format": "date-time"
     },
     "expires_at": {
      "type": "string",
      "format": "date-time"
     },
     "last_used_at": {
      "type": "string",
      "format": "date-time"
     },
     "token": {
      "type": "string",
      "description": "Only when made"
     }
    }
   },
   "AccessTokenRequest": {
    "type": "object",
    "additionalProperties": false,
    "required": [
     "name",
     "scopes"
    ],
    "properties": {
     "name": {
      "type": "string",
      "minLength": 1,
      "maxLength": 100,
      "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]*[^\\s\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029][^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]*$"
     },
     "scopes": {
      "type": "array",
      "minItems": 1,
      "maxItems": 3,
      "items": {
       "type": "string",
       "enum": [
        "read",
        "write",
        "delete"
       ]
      }
     },
     "expires_in_days": {
      "type": [
       "integer",
       "null"
      ],
      "minimum": 1,
      "maximum": 3650,
      "description": "Absent or null: the token never expires."
     }
    }
   },
   "DockerSearch": {
    "type": "object",
    "properties": {
     "query": {
      "type": "string"
     },
     "num_results": {
      "type": "integer"
     },
     "num_pages": {
      "type": "integer"
     },
     "page": {
      "type": "integer"
     },
     "page_size": {
      "type": "integer"
     },
     "results": {
      "type": "array",
      "items": {
       "type": "object",
       "properties": {
        "name": {
         "type": "string"
        },
        "description": {
         "type": "string"
        },
        "star_count": {
         "type": "integer"
        },
        "is_official": {
         "type": "boolean"
        },
        "is_automated": {
         "type": "boolean"
        }
       }
      }
     }
    }
   },
   "Organization": {
    "type": "object",
    "properties": {
     "name": {
      "type": "string"
     },
     "created_at": {
      "type": "string",
      "format": "date-time"
     },
     "created_by": {
      "type": "string"
     },
     "teams": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/Team"
      },
      "description": "Only for members"
     },
     "storage": {
      "$ref": "#/components/schemas/Storage",
      "description": "Only for members, when a quota covers the organisation's namespace"
     }
    }
   },
   "Storage": {
    "type": "object",
    "description": "What a namespace holds (every blob linked in its repositories, counted once) against its quota (`quotas`).",
    "properties": {
     "bytes": {
      "type": "integer"
     },
     "quota": {
      "type": "integer"
     }
    }
   },
   "Team": {
    "type": "object",
    "properties": {
     "name": {
      "type": "string",
      "pattern": "^[a-z0-9._-]{1,64}$"
     },
     "permission": {
      "type": "string",
      "enum": [
       "read",
       "write",
       "admin"
      ]
     },
     "members": {
      "type": "array",
      "items": {
       "type": "string"
      }
     }
    }
   },
   "User": {
    "type": "object",
    "description": "A user. `source`, `disabled`, `created_at` and `created_by` are shown only to the user and to administrators.",
    "properties": {
     "name": {
      "type": "string"
     },
     "organizations": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "source": {
      "type": "string",
      "enum": [
       "htpasswd",
       "index"
      ],
      "description": "Where the account lives: the htpasswd file (managed with `pier user`) or the index (managed here)."
     },
     "disabled": {
      "type": "boolean"
     },
     "created_at": {
      "type": "string",
      "format": "date-time"
     },
     "created_by": {
      "type": "string"
     },
     "storage": {
      "$ref": "#/components/schemas/Storage",
      "description": "Only to the user and administrators, when a quota covers the user's namespace"
     }
    },
    "required": [
     "name"
    ]
   },
   "NewUser": {
    "type": "object",
    "additionalProperties": false,
    "required": [
     "name",
     "password"
    ],
    "properties": {
     "name": {
      "type": "string",
      "maxLength": 64,
      "pattern": "^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*$",
      "description": "A namespace: the user owns `name/**` with index.namespaces."
     },
     "password": {
      "type": "string",
      "minLength": 8,
      "maxLength": 72,
      "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]*$",
      "description": "8 to 72 bytes of UTF-8 (bcrypt reads no further), so fewer characters where some take more than one byte"
     }
    }
   },
   "UserChange": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "disabled": {
      "type": "boolean",
      "description": "Administrators only. A disabled user's passwords and tokens are refused at once."
     },
     "password": {
      "type": "string",
      "minLength": 8,
      "maxLength": 72,
      "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]*$",
      "description": "8 to 72 bytes of UTF-8 (bcrypt reads no further), so fewer characters where some take more than one byte"
     },
     "current_password": {
      "type": "string",
      "description": "Required when a user changes their own password.",
      "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]*$"
     }
    },
    "description": "At least one of `disabled` and `password`.",
    "anyOf": [
     {
      "required": [
       "disabled"
      ]
     },
     {
      "required": [
       "password"
      ]
     }
    ]
   }
  }
 }
}
"""#
}
