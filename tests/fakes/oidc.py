"""A real OpenID Connect provider for tests, built from authlib's server classes (Flask flavour).

It speaks both shapes Dream Pixel signs in with:

- Google's: discovery at `/.well-known/openid-configuration`, `/authorize`, `/token` (an ID token
  signed with an RSA key made at start, carrying the nonce), `/userinfo` and `/jwks`;
- GitHub's: `/login/oauth/authorize`, `/login/oauth/access_token`, and `/api/user` plus
  `/api/user/emails` (so `GITHUB_BASE_URL` is the origin and `GITHUB_API_URL` is origin + "/api").

`/authorize` approves at once, for whatever identity the test set with `provider.sign_in_as(...)`.
PKCE is required, codes are single use and bound to their redirect URI, and every issued and
redeemed code is recorded, so tests can see what the provider refused.

Register with `-p tests.fakes.oidc`; the session fixture is `oidc_provider`.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector  # type: ignore[import-untyped]
from authlib.oauth2 import OAuth2Error  # type: ignore[import-untyped]
from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin, grants  # type: ignore[import-untyped]
from authlib.oauth2.rfc6750 import BearerTokenValidator  # type: ignore[import-untyped]
from authlib.oauth2.rfc7636 import CodeChallenge  # type: ignore[import-untyped]
from authlib.oidc.core import AuthorizationCodeMixin, OpenIDCode, UserInfo, UserInfoEndpoint  # type: ignore[import-untyped]
from flask import Flask, jsonify, request
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server

from tests.fixtures.processes import free_port

CLIENT_ID = "dreampixel-test-client"
CLIENT_SECRET = "dreampixel-test-secret"


@dataclass
class ProviderIdentity:
    """Who the provider says signed in. `sub` doubles as GitHub's numeric user id."""

    sub: str = "1001"
    email: str | None = "ada@example.com"
    email_verified: bool = True
    name: str = "Ada Lovelace"


@dataclass
class IssuedCode(AuthorizationCodeMixin):
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    identity: ProviderIdentity
    auth_time: int = field(default_factory=lambda: int(time.time()))
    redeemed: bool = False

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time


@dataclass
class Redemption:
    """One call to the token endpoint with a code: whether the provider honoured it."""

    code: str
    accepted: bool
    error: str | None = None


class Client(ClientMixin):
    client_metadata: dict[str, Any] = {}

    def __init__(self, client_id: str, client_secret: str) -> None:
        self.client_id = client_id
        self.client_secret = client_secret

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return None

    def get_allowed_scope(self, scope: str) -> str:
        return scope

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # A test client may call back to any loopback app server.
        return redirect_uri.startswith(("http://127.0.0.1:", "http://localhost:"))

    def check_client_secret(self, client_secret: str) -> bool:
        return secrets.compare_digest(client_secret, self.client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post") if endpoint == "token" else True

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class AccessToken(TokenMixin):
    access_token: str
    client: Client
    identity: ProviderIdentity
    scope: str
    issued_at: float = field(default_factory=time.time)
    expires_in: int = 3600

    def check_client(self, client: Client) -> bool:
        return client.client_id == self.client.client_id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_in

    def is_expired(self) -> bool:
        return time.time() > self.issued_at + self.expires_in

    def is_revoked(self) -> bool:
        return False

    def get_user(self) -> ProviderIdentity:
        return self.identity

    def get_client(self) -> Client:
        return self.client


def user_info(identity: ProviderIdentity, scope: str) -> UserInfo:
    claims: dict[str, Any] = {"sub": identity.sub, "name": identity.name}
    if identity.email is not None:
        claims.update(email=identity.email, email_verified=identity.email_verified)
    return UserInfo(claims).filter(scope)


class FakeOpenIDProvider:
    """The provider's state and its Flask app; `start()`/`stop()` run it on a loopback port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.client = Client(CLIENT_ID, CLIENT_SECRET)
        self.key = RSAKey.generate_key(2048, parameters={"kid": "test-key-1", "use": "sig", "alg": "RS256"})
        self.identity = ProviderIdentity()
        self.issued: list[IssuedCode] = []
        self.redemptions: list[Redemption] = []
        self.authorize_requests: list[dict[str, str]] = []
        self._codes: dict[str, IssuedCode] = {}
        self._tokens: dict[str, AccessToken] = {}
        self._lock = threading.Lock()
        self.app = self._build_app()
        self._server: Any = None
        self._thread: threading.Thread | None = None

    # --- what tests use -----------------------------------------------------------------------

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    @property
    def github_base_url(self) -> str:
        return self.issuer

    @property
    def github_api_url(self) -> str:
        return f"{self.issuer}/api"

    client_id = CLIENT_ID
    client_secret = CLIENT_SECRET

    def sign_in_as(self, **claims: Any) -> ProviderIdentity:
        """The identity the next logins return (fields of ProviderIdentity; the rest keep defaults)."""
        self.identity = ProviderIdentity(**claims)
        return self.identity

    def reset(self) -> None:
        with self._lock:
            self.identity = ProviderIdentity()
            self.issued.clear()
            self.redemptions.clear()
            self.authorize_requests.clear()
            self._codes.clear()
            self._tokens.clear()

    def start(self) -> None:
        self._server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-oidc", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # --- storage the grants call into ----------------------------------------------------------

    def save_code(self, code: str, oauth_request: Any) -> None:
        data = oauth_request.payload.data
        issued = IssuedCode(
            code=code,
            client_id=oauth_request.client.get_client_id(),
            redirect_uri=oauth_request.payload.redirect_uri,
            scope=oauth_request.payload.scope or "",
            nonce=data.get("nonce"),
            code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method"),
            identity=oauth_request.user,
        )
        with self._lock:
            self._codes[code] = issued
            self.issued.append(issued)

    def find_code(self, code: str, client: Client) -> IssuedCode | None:
        with self._lock:
            issued = self._codes.get(code)
            usable = issued is not None and not issued.redeemed and issued.client_id == client.client_id
            if not usable:
                self.redemptions.append(Redemption(code, accepted=False, error="invalid_grant"))
                return None
            return issued

    def redeem_code(self, issued: IssuedCode) -> None:
        with self._lock:
            issued.redeemed = True
            self.redemptions.append(Redemption(issued.code, accepted=True))

    def save_token(self, token: dict[str, Any], oauth_request: Any) -> None:
        with self._lock:
            self._tokens[token["access_token"]] = AccessToken(
                access_token=token["access_token"], client=oauth_request.client,
                identity=oauth_request.user, scope=token.get("scope", ""),
            )

    def find_token(self, value: str) -> AccessToken | None:
        with self._lock:
            return self._tokens.get(value)

    # --- the Flask app -----------------------------------------------------------------------

    def _build_app(self) -> Flask:
        app = Flask("fake_oidc")
        provider = self
        server = AuthorizationServer(
            app, query_client=lambda cid: self.client if cid == CLIENT_ID else None, save_token=self.save_token
        )

        class CodeGrant(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

            def save_authorization_code(self, code: str, oauth_request: Any) -> None:
                provider.save_code(code, oauth_request)

            def query_authorization_code(self, code: str, client: Client) -> IssuedCode | None:
                return provider.find_code(code, client)

            def delete_authorization_code(self, authorization_code: IssuedCode) -> None:
                provider.redeem_code(authorization_code)

            def authenticate_user(self, authorization_code: IssuedCode) -> ProviderIdentity:
                return authorization_code.identity

        class OpenIDCodeExtension(OpenIDCode):
            def exists_nonce(self, nonce: str, oauth_request: Any) -> bool:
                return any(issued.nonce == nonce for issued in provider.issued)

            def resolve_client_private_key(self, client: Client) -> RSAKey:
                return provider.key

            def get_client_claims(self, client: Client) -> dict[str, Any]:
                return {"iss": provider.issuer, "aud": [client.get_client_id()]}

            def generate_user_info(self, user: ProviderIdentity, scope: str) -> UserInfo:
                return user_info(user, scope)

        class TokenValidator(BearerTokenValidator):
            def authenticate_token(self, token_string: str) -> AccessToken | None:
                return provider.find_token(token_string)

        class UserInfoAnswer(UserInfoEndpoint):
            def get_issuer(self) -> str:
                return provider.issuer

            def generate_user_info(self, user: ProviderIdentity, scope: str) -> UserInfo:
                return user_info(user, scope)

            def resolve_private_key(self) -> RSAKey:
                return provider.key

        protector = ResourceProtector()
        protector.register_token_validator(TokenValidator())
        server.register_grant(CodeGrant, [CodeChallenge(required=True), OpenIDCodeExtension(require_nonce=True)])
        server.register_endpoint(UserInfoAnswer(resource_protector=protector))

        def authorize() -> Any:
            self.authorize_requests.append(dict(request.args))
            try:
                grant = server.get_consent_grant(end_user=provider.identity)
            except OAuth2Error as error:
                return server.handle_error_response(None, error)
            # The challenge is optional to authlib; this provider, like Google's for us, insists.
            if request.args.get("code_challenge_method") != "S256":
                return jsonify(error="invalid_request", error_description="PKCE with S256 is required"), 400
            return server.create_authorization_response(grant_user=provider.identity, grant=grant)

        def issue_token() -> Any:
            return server.create_token_response()

        app.add_url_rule("/authorize", "authorize", authorize)
        app.add_url_rule("/login/oauth/authorize", "github_authorize", authorize)
        app.add_url_rule("/token", "token", issue_token, methods=["POST"])
        app.add_url_rule("/login/oauth/access_token", "github_token", issue_token, methods=["POST"])

        @app.route("/userinfo", methods=["GET", "POST"])
        def userinfo() -> Any:
            return server.create_endpoint_response("userinfo")

        @app.route("/.well-known/openid-configuration")
        def discovery() -> Any:
            return jsonify(
                issuer=provider.issuer,
                authorization_endpoint=f"{provider.issuer}/authorize",
                token_endpoint=f"{provider.issuer}/token",
                userinfo_endpoint=f"{provider.issuer}/userinfo",
                jwks_uri=f"{provider.issuer}/jwks",
                response_types_supported=["code"],
                subject_types_supported=["public"],
                id_token_signing_alg_values_supported=["RS256"],
                scopes_supported=["openid", "email", "profile"],
                token_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post"],
                code_challenge_methods_supported=["S256"],
                claims_supported=["sub", "email", "email_verified", "name"],
            )

        @app.route("/jwks")
        def jwks() -> Any:
            return jsonify(keys=[provider.key.as_dict(private=False)])

        @app.route("/api/user")
        @protector()
        def github_user() -> Any:
            identity = provider._bearer_identity()
            return jsonify(id=int(identity.sub) if identity.sub.isdigit() else identity.sub,
                           login=identity.name.split()[0].lower() if identity.name else "octo",
                           name=identity.name or None, email=None)

        @app.route("/api/user/emails")
        @protector()
        def github_emails() -> Any:
            identity = provider._bearer_identity()
            if identity.email is None:
                return jsonify([])
            return jsonify([{"email": identity.email, "primary": True, "verified": identity.email_verified,
                             "visibility": "private"}])

        return app

    def _bearer_identity(self) -> ProviderIdentity:
        from authlib.integrations.flask_oauth2 import current_token

        return current_token.get_user()  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[FakeOpenIDProvider]:
    """The fake provider, running for the whole session; call `.reset()` between tests."""
    provider = FakeOpenIDProvider()
    provider.start()
    try:
        yield provider
    finally:
        provider.stop()
