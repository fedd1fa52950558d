"""Message and transport authentication (SECURITY-1-1-*) and the default access policy
(ACCESS_POLICY-1-1-*), with raw SOAP: the point of these cases is what happens to requests a
well-behaved client library would never send.
"""

from __future__ import annotations

from conformance.harness import PASSWORD_TEXT, case, check, username_token

GET_USERS = "<tds:GetUsers/>"

# Requests by access class (ONVIF Core default access policy), with a valid body each.
# The values are arbitrary but well-formed; none of these reach the service when refused.
ADMIN_ONLY = [
    ("SetScopes", "<tds:SetScopes><tds:Scopes>onvif://www.onvif.org/location/test</tds:Scopes></tds:SetScopes>"),
    ("SetDiscoveryMode", "<tds:SetDiscoveryMode><tds:DiscoveryMode>Discoverable</tds:DiscoveryMode></tds:SetDiscoveryMode>"),
    ("CreateUsers", "<tds:CreateUsers><tds:User><tt:Username>Test</tt:Username><tt:Password>Test</tt:Password><tt:UserLevel>Administrator</tt:UserLevel></tds:User></tds:CreateUsers>"),
    ("SetSystemDateAndTime", "<tds:SetSystemDateAndTime><tds:DateTimeType>NTP</tds:DateTimeType><tds:DaylightSavings>true</tds:DaylightSavings></tds:SetSystemDateAndTime>"),
    ("GetUsers", GET_USERS),
    ("SetHostname", "<tds:SetHostname><tds:Name>x</tds:Name></tds:SetHostname>"),
    ("SetNTP", "<tds:SetNTP><tds:FromDHCP>true</tds:FromDHCP></tds:SetNTP>"),
    ("AddScopes", "<tds:AddScopes><tds:ScopeItem>onvif://www.onvif.org/location/x</tds:ScopeItem></tds:AddScopes>"),
    ("RemoveScopes", "<tds:RemoveScopes><tds:ScopeItem>onvif://www.onvif.org/location/x</tds:ScopeItem></tds:RemoveScopes>"),
    ("DeleteUsers", "<tds:DeleteUsers><tds:Username>nobody</tds:Username></tds:DeleteUsers>"),
    ("SetUser", "<tds:SetUser><tds:User><tt:Username>nobody</tt:Username><tt:UserLevel>User</tt:UserLevel></tds:User></tds:SetUser>"),
    ("SystemReboot", "<tds:SystemReboot/>"),
    ("SetSystemFactoryDefault", "<tds:SetSystemFactoryDefault><tds:FactoryDefault>Hard</tds:FactoryDefault></tds:SetSystemFactoryDefault>"),
]
READ_SYSTEM = [
    ("GetNTP", "<tds:GetNTP/>"),
    ("GetNetworkInterfaces", "<tds:GetNetworkInterfaces/>"),
    ("GetScopes", "<tds:GetScopes/>"),
    ("GetDiscoveryMode", "<tds:GetDiscoveryMode/>"),
    ("GetDeviceInformation", "<tds:GetDeviceInformation/>"),
    ("GetDNS", "<tds:GetDNS/>"),
    ("GetNetworkProtocols", "<tds:GetNetworkProtocols/>"),
    ("GetNetworkDefaultGateway", "<tds:GetNetworkDefaultGateway/>"),
]
PRE_AUTH = [
    ("GetServices", "<tds:GetServices><tds:IncludeCapability>false</tds:IncludeCapability></tds:GetServices>"),
    ("GetServiceCapabilities", "<tds:GetServiceCapabilities/>"),
    ("GetHostname", "<tds:GetHostname/>"),
    ("GetSystemDateAndTime", "<tds:GetSystemDateAndTime/>"),
]


def refused(r) -> bool:
    """What the access policy cases accept as a refusal: HTTP 401, or ActionNotSupported."""
    return r.status == 401 or (r.is_fault and "ActionNotSupported" in r.fault_codes())


@case("SECURITY-1-1-1")
async def user_token_profile(ctx):
    bad = {
        "missing nonce": username_token(ctx.user, ctx.password, with_nonce=False),
        "missing timestamp": username_token(ctx.user, ctx.password, with_created=False),
        "incorrect password type": username_token(ctx.user, ctx.password, password_type="urn:not-a-password-type"),
        "digest under PasswordText type": username_token(ctx.user, ctx.password).replace(
            "#PasswordDigest", "#PasswordText"
        ),
    }
    for what, header in bad.items():
        r = await ctx.soap(GET_USERS, auth=None, header=header)
        check(r.status in (400, 401) and r.is_fault, f"{what}: accepted (HTTP {r.status})")
        check("NotAuthorized" in r.fault_codes() or r.status == 401, f"{what}: codes {r.fault_codes()}")
    r = await ctx.soap(GET_USERS, auth="wsse")
    check(r.status == 200 and not r.is_fault, f"correct UsernameToken refused: HTTP {r.status} {r.text()[:200]}")
    # PasswordText is accepted as WS-Security allows (some clients send it); documented.
    r = await ctx.soap(GET_USERS, auth=None, header=username_token(ctx.user, ctx.password, password_type=PASSWORD_TEXT))
    ctx.note(f"PasswordText token: HTTP {r.status}")


@case("SECURITY-1-1-2")
async def digest_authentication(ctx):
    url = f"http://127.0.0.1:{ctx.nvt.http_port}/onvif/device_service"
    r = await ctx.soap(GET_USERS, auth=None)
    check(r.status == 401, f"no credentials: HTTP {r.status}")
    r2 = await _raw_challenge(url)
    check(any(h.startswith("Digest ") for h in r2), f"WWW-Authenticate: {r2}")
    for h in r2:
        if h.startswith("Digest "):
            check('realm="' in h and "nonce=" in h and "qop=" in h, f"challenge lacks realm/nonce/qop: {h}")
    r = await ctx.soap(GET_USERS, auth="digest")
    check(r.status == 200 and not r.is_fault, f"valid Digest refused: HTTP {r.status}")


async def _raw_challenge(url):
    import aiohttp

    body = (
        '<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
        'xmlns:tds="http://www.onvif.org/ver10/device/wsdl"><s:Body><tds:GetUsers/></s:Body></s:Envelope>'
    )
    async with aiohttp.ClientSession() as s:
        async with s.post(url, data=body.encode(), headers={"Content-Type": "application/soap+xml"}) as r:
            return r.headers.getall("WWW-Authenticate", [])


async def _with_user(ctx, level):
    """Creates a user of `level` (removed by the caller) and returns its credentials."""
    name, pw = f"ap{level.lower()}", f"Pw-{level}-123"
    r = await ctx.soap(f"<tds:DeleteUsers><tds:Username>{name}</tds:Username></tds:DeleteUsers>")
    r = await ctx.soap(
        f"<tds:CreateUsers><tds:User><tt:Username>{name}</tt:Username><tt:Password>{pw}</tt:Password>"
        f"<tt:UserLevel>{level}</tt:UserLevel></tds:User></tds:CreateUsers>"
    )
    check(r.status == 200, f"creating a {level}: HTTP {r.status} {r.text()[:200]}")
    return name, pw


async def _drop(ctx, name):
    await ctx.soap(f"<tds:DeleteUsers><tds:Username>{name}</tds:Username></tds:DeleteUsers>")


@case("ACCESS_POLICY-1-1-1")
async def access_not_allowed(ctx):
    user = await _with_user(ctx, "User")
    operator = await _with_user(ctx, "Operator")
    try:
        for op, body in READ_SYSTEM + ADMIN_ONLY:
            r = await ctx.soap(body, auth=None)
            check(refused(r), f"{op} anonymous: HTTP {r.status}")
        for op, body in ADMIN_ONLY:
            for who in (user, operator):
                r = await ctx.soap(body, auth="digest", user=who[0], password=who[1])
                check(refused(r), f"{op} as {who[0]}: HTTP {r.status} {r.fault_codes()}")
    finally:
        await _drop(ctx, user[0])
        await _drop(ctx, operator[0])


@case("ACCESS_POLICY-1-1-2")
async def anonymous_pre_auth(ctx):
    for op, body in PRE_AUTH:
        r = await ctx.soap(body, auth=None)
        check(r.status == 200 and not r.is_fault, f"{op} anonymous: HTTP {r.status}")


@case("ACCESS_POLICY-1-1-3")
async def user_read_system(ctx):
    name, pw = await _with_user(ctx, "User")
    try:
        for op, body in READ_SYSTEM[:4]:
            r = await ctx.soap(body, auth=None)
            check(r.status == 401, f"{op} anonymous: HTTP {r.status}")
            r = await ctx.soap(body, auth="digest", user=name, password=pw)
            check(r.status == 200 and not r.is_fault, f"{op} as User: HTTP {r.status}")
        # GetEventProperties (READ_MEDIA), where the Events service exists (its absence fails
        # DEVICE-1-1-2).
        r = await ctx.soap("<tds:GetServices><tds:IncludeCapability>false</tds:IncludeCapability></tds:GetServices>", auth=None)
        events = r.find("//tds:Service[tds:Namespace='http://www.onvif.org/ver10/events/wsdl']/tds:XAddr/text()")
        if events:
            from urllib.parse import urlsplit

            path = urlsplit(events[0]).path
            r = await ctx.soap("<tev:GetEventProperties/>", path=path, auth=None)
            check(r.status == 401, f"GetEventProperties anonymous: HTTP {r.status}")
            r = await ctx.soap("<tev:GetEventProperties/>", path=path, auth="digest", user=name, password=pw)
            check(r.status == 200 and not r.is_fault, f"GetEventProperties as User: HTTP {r.status} {r.fault_codes()}")
        else:
            ctx.note("no Events service: GetEventProperties not checked")
    finally:
        await _drop(ctx, name)


@case("ACCESS_POLICY-1-1-4")
async def admin_ops_anonymous(ctx):
    for op, body in ADMIN_ONLY[:4]:
        r = await ctx.soap(body, auth=None)
        check(r.status == 401, f"{op} anonymous: HTTP {r.status}")


@case("ACCESS_POLICY-1-1-5")
async def admin_ops_user_operator(ctx):
    user = await _with_user(ctx, "User")
    operator = await _with_user(ctx, "Operator")
    try:
        for op, body in ADMIN_ONLY[:4]:
            for who in (user, operator):
                r = await ctx.soap(body, auth="digest", user=who[0], password=who[1])
                check(r.status == 401, f"{op} as {who[0]}: HTTP {r.status} {r.fault_codes()}")
    finally:
        await _drop(ctx, user[0])
        await _drop(ctx, operator[0])
