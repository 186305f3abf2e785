"""The pure pieces of provider sign-in: flow cookies, discovery documents, which address a
provider vouches for, and which providers the settings configure."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import jwt
import pytest

from velox.config import Settings, parse_settings
from velox.web.auth.oauth.flow import FlowCookies
from velox.web.auth.oauth.github import primary_address
from velox.web.auth.oauth.oidc import parse_metadata, verified_address
from velox.web.auth.oauth.refusals import Refusal, SignInRefused, message
from velox.web.auth.oauth.registry import configured_providers
from velox.web.auth.sessions import SessionManager

SECRET = "s" * 40
ISSUER = "https://id.example.com/realms/club"


class Clock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def refusal_of(call: Any, *args: Any) -> Refusal:
    with pytest.raises(SignInRefused) as caught:
        call(*args)
    return caught.value.refusal


# -------------------------------------------------------------------------- flow cookies


def test_a_flow_is_redeemed_once() -> None:
    flows = FlowCookies(SECRET, clock=Clock())
    flow, cookie = flows.begin("oidc")
    assert flows.finish(cookie, "oidc", flow.state) == flow
    assert refusal_of(flows.finish, cookie, "oidc", flow.state) is Refusal.EXPIRED


def test_the_challenge_is_s256_of_the_verifier() -> None:
    flow, _cookie = FlowCookies(SECRET).begin("github")
    assert 43 <= len(flow.verifier) <= 128  # RFC 7636 section 4.1
    digest = hashlib.sha256(flow.verifier.encode("ascii")).digest()
    assert flow.challenge == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_flows_are_all_different() -> None:
    flows = FlowCookies(SECRET)
    made = [flows.begin("oidc")[0] for _ in range(50)]
    secrets = [value for f in made for value in (f.state, f.nonce, f.verifier)]
    assert len(set(secrets)) == 150


def test_a_flow_expires_after_ten_minutes() -> None:
    clock = Clock()
    flows = FlowCookies(SECRET, clock=clock)
    flow, cookie = flows.begin("oidc")
    assert flow.expires == clock.now + 600
    clock.now += 600
    assert refusal_of(flows.finish, cookie, "oidc", flow.state) is Refusal.EXPIRED
    clock.now -= 1
    assert flows.finish(cookie, "oidc", flow.state) == flow


@pytest.mark.parametrize("state", [None, "", "x" * 43])
def test_a_flow_needs_its_own_state(state: str | None) -> None:
    flows = FlowCookies(SECRET)
    flow, cookie = flows.begin("oidc")
    assert refusal_of(flows.finish, cookie, "oidc", state) is Refusal.EXPIRED
    assert flows.finish(cookie, "oidc", flow.state) == flow  # a refusal does not spend it


def test_a_flow_needs_its_own_provider() -> None:
    flows = FlowCookies(SECRET)
    flow, cookie = flows.begin("google")
    assert refusal_of(flows.finish, cookie, "oidc", flow.state) is Refusal.EXPIRED


def test_forged_cookies_are_refused() -> None:
    flows = FlowCookies(SECRET)
    flow, cookie = flows.begin("oidc")
    _other, foreign = FlowCookies("t" * 40).begin("oidc")
    claims = jwt.decode(cookie, SECRET, algorithms=["HS256"], audience="velox:oauth-flow")
    unsigned = jwt.encode(claims, "", algorithm="none")
    session, _ = SessionManager(SECRET, 3600).issue("user-1")
    for bad in (None, "", "garbage", foreign, unsigned, session, cookie[:-2], "a" * 5000):
        assert refusal_of(flows.finish, bad, "oidc", flow.state) is Refusal.EXPIRED


def test_a_flow_cookie_is_no_session() -> None:
    _flow, cookie = FlowCookies(SECRET).begin("oidc")
    assert SessionManager(SECRET, 3600).verify(cookie) is None


# -------------------------------------------------------------------------- discovery


def discovery(**changes: Any) -> dict[str, Any]:
    document = {
        "issuer": ISSUER,
        "authorization_endpoint": f"{ISSUER}/protocol/openid-connect/auth",
        "token_endpoint": f"{ISSUER}/protocol/openid-connect/token",
        "jwks_uri": f"{ISSUER}/protocol/openid-connect/certs",
        "userinfo_endpoint": f"{ISSUER}/protocol/openid-connect/userinfo",
        "id_token_signing_alg_values_supported": ["PS256", "RS256", "HS256"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_basic"],
    }
    return {k: v for k, v in (document | changes).items() if v is not None}


def test_a_discovery_document() -> None:
    metadata = parse_metadata(discovery(), ISSUER + "/")  # a trailing slash is the same issuer
    assert metadata.issuer == ISSUER
    assert metadata.token_endpoint == f"{ISSUER}/protocol/openid-connect/token"
    assert metadata.algorithms == ("PS256", "RS256")  # never HS256 (keyed by our secret)
    assert metadata.token_auth_method == "client_secret_basic"
    defaults = parse_metadata(
        discovery(
            id_token_signing_alg_values_supported=None,
            token_endpoint_auth_methods_supported=None,
            userinfo_endpoint=None,
        ),
        ISSUER,
    )
    assert defaults.algorithms == ("RS256",)
    assert defaults.token_auth_method == "client_secret_basic"
    assert defaults.userinfo_endpoint is None
    only_post = discovery(token_endpoint_auth_methods_supported=["client_secret_post"])
    post = parse_metadata(only_post, ISSUER)
    assert post.token_auth_method == "client_secret_post"


@pytest.mark.parametrize(
    "document",
    [
        discovery(issuer="https://evil.example/realms/club"),
        discovery(jwks_uri=None),
        discovery(token_endpoint=""),
        discovery(authorization_endpoint=7),
        discovery(id_token_signing_alg_values_supported=["HS256", "none"]),
        discovery(token_endpoint_auth_methods_supported=["private_key_jwt"]),
        ["not", "an", "object"],
    ],
)
def test_unusable_discovery_documents(document: Any) -> None:
    assert refusal_of(parse_metadata, document, ISSUER) is Refusal.FAILED


# -------------------------------------------------------------------------- addresses


def test_the_address_an_oidc_provider_vouches_for() -> None:
    assert verified_address({"email": "a@b.example", "email_verified": True}) == "a@b.example"
    assert verified_address({"email": "a@b.example", "email_verified": "true"}) == "a@b.example"
    for unverified in ({"email_verified": False}, {"email_verified": "false"}, {},
                       {"email_verified": 1}, {"email_verified": "True"}):  # fmt: skip
        claims = {"email": "a@b.example", **unverified}
        assert refusal_of(verified_address, claims) is Refusal.UNVERIFIED
    for no_address in ({}, {"email": ""}, {"email": 5}):
        assert refusal_of(verified_address, no_address | {"email_verified": True}) is Refusal.FAILED


def test_the_address_github_vouches_for() -> None:
    def email(address: str, primary: bool, verified: bool) -> dict[str, Any]:
        return {"email": address, "primary": primary, "verified": verified}

    both = [email("a@x.example", False, True), email("b@x.example", True, True)]
    assert primary_address(both) == "b@x.example"
    assert refusal_of(primary_address, [email("b@x.example", True, False)]) is Refusal.UNVERIFIED
    for bad in ([], [email("a@x.example", False, True)], {"message": "Bad credentials"}, None):
        assert refusal_of(primary_address, bad) is Refusal.FAILED


def test_refusal_messages() -> None:
    assert message("oauth_denied", "GitHub") == "Sign-in with GitHub was cancelled or refused."
    assert message("invalid_link", "GitHub") is None
    assert message("", "GitHub") is None


# -------------------------------------------------------------------------- settings


def test_providers_from_flags_and_environment() -> None:
    settings = parse_settings(
        ["--github-client-id", "gh", "--oidc-issuer", ISSUER, "--oidc-name", "Club login"],
        {
            "VELOX_GITHUB_CLIENT_SECRET": "gh-secret",
            "VELOX_OIDC_CLIENT_ID": "velox",
            "VELOX_OIDC_CLIENT_SECRET": "oidc-secret",
        },
    )
    providers = configured_providers(settings)
    assert [(slug, p.label) for slug, p in providers.items()] == [
        ("github", "GitHub"),
        ("oidc", "Club login"),
    ]
    assert configured_providers(Settings()) == {}


def test_real_endpoints_by_default() -> None:
    settings = Settings(
        github_client_id="a", github_client_secret="b", google_client_id="c",
        google_client_secret="d",
    )  # fmt: skip
    providers: dict[str, Any] = dict(configured_providers(settings))
    github, google = providers["github"], providers["google"]
    assert github.authorize_url == "https://github.com/login/oauth/authorize"
    assert github.token_url == "https://github.com/login/oauth/access_token"
    assert github.emails_url == "https://api.github.com/user/emails"
    assert google.issuer == "https://accounts.google.com"
    assert google.label == "Google"


@pytest.mark.parametrize(
    ("changes", "missing"),
    [
        ({"github_client_id": "a"}, "--github-client-secret"),
        ({"google_client_secret": "b"}, "--google-client-id"),
        ({"oidc_issuer": ISSUER}, "--oidc-client-id"),
        ({"oidc_client_id": "a", "oidc_client_secret": "b"}, "--oidc-issuer"),
        ({"oidc_issuer": ISSUER, "oidc_client_id": "a"}, "--oidc-client-secret"),
    ],
)
def test_half_a_provider_stops_the_start(changes: dict[str, str], missing: str) -> None:
    with pytest.raises(SystemExit) as caught:
        configured_providers(Settings(**changes))
    assert missing in str(caught.value)
