#!/usr/bin/env python3
"""A real Django 5.2 reading and writing sessions, for the Rust interop tests.

Django is configured in-process (no project, no manage.py) from the command line:

    django_peer.py --secret-key S [--fallback OLD ...] --engine ENGINE [engine options] COMMAND

Engines and their options:
    file            --file-path DIR
    signed_cookies  (no options)
    db              --db-url sqlite:///abs/path.sqlite3 | postgres://user@host:port/db
                    [--db-schema SCHEMA]  PostgreSQL search_path
                    [--db-table NAME]     table instead of django_session

Commands (results on stdout, one line of JSON or text; errors on stderr, exit status 1):
    read KEY        the session's data as a JSON object, or `null` when Django sees no
                    session under KEY (missing, expired, tampered, invalid key)
    write JSON      Django creates a session holding the JSON object and prints its key
                    (for signed_cookies: the cookie value)
    migrate         creates the session table (db engine), as `manage.py migrate` would
    request KEY|-   one GET through Django's SessionMiddleware and django-session-timeout's
                    SessionTimeoutMiddleware (configured by --expire-seconds,
                    --expire-after-last-activity, --grace-period, --timeout-redirect) to a
                    view that counts visits in `visit`; with the session cookie KEY (`-`:
                    none). Prints {"status", "location", "body", "cookie"}: `cookie` is the
                    Set-Cookie value (a new key, "" when deleted) or null when none is set.
"""

import argparse
import json
import sys
from urllib.parse import parse_qs, unquote, urlsplit

# ROOT_URLCONF: django-session-timeout's redirect() tries reverse() before using a path.
urlpatterns = []

ENGINES = {
    "file": "django.contrib.sessions.backends.file",
    "signed_cookies": "django.contrib.sessions.backends.signed_cookies",
    "db": "django.contrib.sessions.backends.db",
}


def database_settings(url, schema):
    """Django's DATABASES["default"] for a sqlite:// or postgres:// URL."""
    if url is None:
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # sqlite:///abs/path and sqlite://rel/path, as sqlx spells them; query ignored.
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": parts.netloc + parts.path}
    if parts.scheme in ("postgres", "postgresql"):
        settings = {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": parts.path.lstrip("/") or "postgres",
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "OPTIONS": {},
        }
        query = parse_qs(parts.query)
        if "sslmode" in query:
            settings["OPTIONS"]["sslmode"] = query["sslmode"][0]
        if schema:
            settings["OPTIONS"]["options"] = f"-c search_path={schema}"
        return settings
    raise SystemExit(f"unsupported database URL scheme {parts.scheme!r}")


def timeout_settings(args):
    """django-session-timeout's settings, only those given (the package has defaults)."""
    given = {
        "SESSION_EXPIRE_SECONDS": args.expire_seconds,
        "SESSION_EXPIRE_AFTER_LAST_ACTIVITY": args.expire_after_last_activity,
        "SESSION_EXPIRE_AFTER_LAST_ACTIVITY_GRACE_PERIOD": args.grace_period,
        "SESSION_TIMEOUT_REDIRECT": args.timeout_redirect,
    }
    return {name: value for name, value in given.items() if value is not None}


def configure(args):
    from django.conf import settings

    settings.configure(
        SECRET_KEY=args.secret_key,
        SECRET_KEY_FALLBACKS=args.fallback,
        SESSION_ENGINE=ENGINES[args.engine],
        SESSION_FILE_PATH=args.file_path,
        SESSION_COOKIE_NAME=args.cookie_name,
        SESSION_COOKIE_AGE=args.cookie_age,
        DATABASES={"default": database_settings(args.db_url, args.db_schema)},
        INSTALLED_APPS=[
            "django.contrib.sessions",
            # django-session-timeout imports django.contrib.auth.views.
            "django.contrib.auth",
            "django.contrib.contenttypes",
        ],
        ROOT_URLCONF=__name__,
        **timeout_settings(args),
        USE_TZ=True,
        TIME_ZONE="UTC",
    )
    import django

    django.setup()
    if args.db_table:
        # The model's table is read when each query is compiled, so renaming it here points
        # the db engine at another table.
        from django.contrib.sessions.models import Session

        Session._meta.db_table = args.db_table


def session_store(args, key=None):
    from importlib import import_module

    from django.conf import settings

    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=key)


def read(args):
    store = session_store(args, args.key)
    data = store.load()
    if args.engine == "signed_cookies":
        # A cookie Django refuses makes load() call create(), which only sets `modified`.
        gone = store.modified
    else:
        # A missing, expired or invalid key is dropped (file: replaced by a new one).
        gone = store.session_key != args.key
    return None if gone else data


def write(args):
    data = json.loads(args.json)
    if not isinstance(data, dict):
        raise SystemExit("write takes a JSON object")
    store = session_store(args)
    store.update(data)
    store.save()
    return store.session_key


def migrate(args):
    from django.contrib.sessions.models import Session
    from django.db import connection

    with connection.schema_editor() as editor:
        editor.create_model(Session)
    return "ok"


def request(args):
    from django.conf import settings
    from django.contrib.sessions.middleware import SessionMiddleware
    from django.http import HttpResponse
    from django.test import RequestFactory
    from django_session_timeout.middleware import SessionTimeoutMiddleware

    def visit(request):
        count = request.session.get("visit", 0) + 1
        request.session["visit"] = count
        return HttpResponse(f"Visit count:{count}")

    handler = SessionMiddleware(SessionTimeoutMiddleware(visit))
    incoming = RequestFactory().get("/visit")
    if args.key != "-":
        incoming.COOKIES[settings.SESSION_COOKIE_NAME] = args.key
    response = handler(incoming)
    cookie = response.cookies.get(settings.SESSION_COOKIE_NAME)
    return json.dumps(
        {
            "status": response.status_code,
            "location": response.get("Location"),
            "body": response.content.decode(),
            "cookie": None if cookie is None else cookie.value,
        }
    )


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--secret-key", required=True)
    parser.add_argument("--fallback", action="append", default=[])
    parser.add_argument("--engine", choices=sorted(ENGINES), required=True)
    parser.add_argument("--file-path")
    parser.add_argument("--db-url")
    parser.add_argument("--db-schema")
    parser.add_argument("--db-table")
    parser.add_argument("--cookie-name", default="sessionid")
    parser.add_argument("--cookie-age", type=int, default=1209600)
    parser.add_argument("--expire-seconds", type=float)
    parser.add_argument(
        "--expire-after-last-activity", type=lambda v: v.lower() == "true"
    )
    parser.add_argument("--grace-period", type=float)
    parser.add_argument("--timeout-redirect")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("read").add_argument("key")
    commands.add_parser("write").add_argument("json")
    commands.add_parser("migrate")
    commands.add_parser("request").add_argument("key")
    args = parser.parse_args(argv)
    if args.engine == "file" and not args.file_path:
        parser.error("--engine file needs --file-path")
    if args.engine == "db" and not args.db_url:
        parser.error("--engine db needs --db-url")

    configure(args)
    commands = {"read": read, "write": write, "migrate": migrate, "request": request}
    result = commands[args.command](args)
    if args.command == "read":
        print(json.dumps(result))
    else:
        print(result)


if __name__ == "__main__":
    main(sys.argv[1:])
