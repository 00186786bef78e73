"""What the portal and docs say about each system: how to connect it and where to find keys."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SystemInfo:
    system: str
    label: str
    sandbox_path: str          # appended to settings.SANDBOX_URL for sandbox connections
    sandbox_account: str       # the sandbox's demo account
    production_base_url: str
    account_label: str
    auth_types: tuple[str, ...]   # preferred first
    help: str
    field_help: dict[str, str] = field(default_factory=dict)
    auth_labels: dict[str, str] = field(default_factory=dict)  # what the system calls them


SYSTEMS: dict[str, SystemInfo] = {
    info.system: info
    for info in (
        SystemInfo(
            "brightpearl", "Brightpearl", "/brightpearl", "demo",
            "https://use1.brightpearlconnect.com", "Account code",
            ("oauth2_code", "private_app"),
            "Sign in to Brightpearl and approve Clarity Connect (OAuth), or create a private "
            "app under App Store → Private apps and paste its app reference and account token.",
            {"private_app_ref": "Private app reference (brightpearl-app-ref)",
             "account_token": "Account token (brightpearl-account-token)"},
        ),
        SystemInfo(
            "bigcommerce", "BigCommerce", "/bigcommerce", "ccdemo01",
            "https://api.bigcommerce.com", "Store hash",
            ("api_token", "oauth2_code"),
            "Create a store-level API account (Settings → Store-level API accounts) with "
            "Orders, Products, Customers and Information & Settings scopes, and paste the store "
            "hash and access token; or install the Clarity Connect app (OAuth).",
            {"store_hash": "Store hash (from the API path stores/<hash>/)",
             "access_token": "Access token (X-Auth-Token)"},
        ),
        SystemInfo(
            "salesforce", "Salesforce", "/salesforce", "ccdemo",
            "https://login.salesforce.com", "Org id (optional)",
            ("oauth2_code", "oauth2_client_credentials", "oauth2_password"),
            "Sign in to Salesforce and allow Clarity Connect (OAuth); for a connected app of "
            "your own, paste its consumer key and secret (client credentials needs a Run As "
            "user; use your My Domain URL as the base URL).",
            {"client_id": "Consumer key", "client_secret": "Consumer secret"},
        ),
        SystemInfo(
            "infor", "Infor (ION API / M3)", "/infor/ionapi", "CLARITY_TST",
            "https://mingle-ionapi.inforcloudsuite.com", "ION tenant (ti)",
            ("oauth2_password", "oauth2_code"),
            "In Infor ION API → Authorized Apps, create a Backend Service app, download its "
            "credentials (.ionapi file) and upload it here; or, to sign in with Infor as a "
            "person, create a Web application whose redirect URL is Clarity's OAuth callback "
            "and upload its .ionapi file (or type in its values).",
            {"ionapi": ".ionapi file"},
            {"oauth2_password": "Service account (Backend Service .ionapi)",
             "oauth2_code": "Sign in with Infor (Web application)"},
        ),
        SystemInfo(
            "syspro", "SYSPRO (e.net)", "/syspro/SYSPROWCFService/Rest", "EDU1",
            "http://syspro-server:20000/SYSPROWCFService/Rest", "Company id",
            ("session",),
            "Ask your SYSPRO administrator for an operator with access to the business objects "
            "(SORTOI, SORQRY, INVQRY, ARSSCS, ARSTPY, PORTOI) and the e.net REST service URL.",
            {"operator": "Operator", "operator_password": "Operator password",
             "company_id": "Company id", "company_password": "Company password (may be blank)"},
        ),
        SystemInfo(
            "dynamics_gp", "Microsoft Dynamics GP", "/dynamicsgp", "TWO",
            "https://gp-econnect.example.com", "Company (database)",
            ("basic",),
            "Install the Clarity eConnect service next to GP and create its service account; "
            "enter the service URL, the company database and the account's user and password.",
            {"company": "Company database (e.g. TWO)", "username": "Service user",
             "password": "Service password"},
        ),
    )
}
