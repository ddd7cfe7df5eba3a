"""Web plumbing shared by every blueprint: the request's transaction, access guards, errors, headers, input
cleaning, URL converters, downloads and template helpers. Nothing here knows a rule of the domain."""
