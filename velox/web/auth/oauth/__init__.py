"""Sign-in with an identity provider (SPEC section 14): GitHub, Google, any OIDC issuer.

The authorization-code flow with PKCE (S256), ``state`` and, for OpenID Connect, ``nonce``.
``flow`` binds those secrets to the browser that started the flow (a signed, short-lived,
single-use cookie); ``oidc`` and ``github`` speak to the providers; ``views`` holds the two
routes and sends a refused sign-in back to ``/signin`` with a message. The protocol pieces
(PKCE challenge, authorization and token requests, client authentication, ID token claims)
come from Authlib and the JOSE work (JWK sets, signature checks) from joserfc; aiohttp only
carries the HTTP.
"""
