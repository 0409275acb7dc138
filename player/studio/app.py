"""The studio's routes: a JSON API for the page, guarded by a token, the Host header and Origin.

Handlers only translate between HTTP and the core (through `document`, `render` and
`workspace`); every error becomes `{"error": ...}` with a status, never a traceback.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from player.errors import PlayerError, ScriptError
from player.export.formats import FORMATS
from player.script.authoring import TEMPLATES
from player.script.limits import MAX_JSON_BYTES
from player.script.schema import STEP_FORMS
from player.sounds import BEDS, CHIMES
from player.studio import document
from player.studio.render import MAX_UPLOAD_BYTES, Renderer, overrides_from
from player.studio.workspace import NotFound, StudioError, Workspace, valid_label

STATIC = Path(__file__).resolve().parent / "static"
ALLOWED_HOSTS = ("127.0.0.1", "localhost")
COOKIE = "studio_token"
MAX_KEPT_SOUNDS = 40
SAFE_METHODS = ("GET", "HEAD")
Handler = Callable[[Request], Awaitable[Response]]


class Guard:
    """Every request needs the token (query, cookie or header); changing requests a same-origin Origin."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        offered = (request.query_params.get("token") or request.cookies.get(COOKIE)
                   or request.headers.get("x-studio-token") or "")
        if not hmac.compare_digest(offered.encode(), self.token.encode()):
            await _error(403, "This page needs the link that `practice studio` printed (it carries a token).")(
                scope, receive, send)
            return
        origin = request.headers.get("origin")
        if request.method not in SAFE_METHODS and origin is not None and origin != f"http://{request.headers['host']}":
            await _error(403, "Changes are accepted only from the studio's own page.")(scope, receive, send)
            return
        if request.query_params.get("token") is None:
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                cookie = f"{COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Strict"
                message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie.encode())]
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def _error(status: int, message: str, **more: Any) -> JSONResponse:
    """An error for the page: a message (and any details), never a traceback."""
    return JSONResponse({"error": message, **more}, status_code=status, headers={"Cache-Control": "no-store"})


async def _body(request: Request, limit: int = MAX_JSON_BYTES) -> bytes:
    """The request body, refused once it passes `limit` bytes."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise StudioError(f"the request is larger than {limit // 1_000_000} MB")
        chunks.append(chunk)
    return b"".join(chunks)


async def _json(request: Request) -> dict[str, Any]:
    """A JSON object from the body."""
    try:
        data = json.loads(await _body(request))
    except (ValueError, UnicodeDecodeError):
        raise StudioError("the request is not JSON") from None
    if not isinstance(data, dict):
        raise StudioError("the request must be a JSON object")
    return data


def _text(data: dict[str, Any], key: str) -> str:
    """A required string field."""
    value = data.get(key)
    if not isinstance(value, str):
        raise StudioError(f"'{key}' is missing")
    return value


class Routes:
    """The API's handlers, bound to one workspace and renderer."""

    def __init__(self, workspace: Workspace, renderer: Renderer) -> None:
        self.workspace = workspace
        self.renderer = renderer
        self.files: dict[str, Path] = {}

    async def index(self, request: Request) -> Response:
        """The page itself."""
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    async def library(self, request: Request) -> Response:
        """The workspace's scripts, the built-ins and the templates."""
        entries = await run_in_threadpool(self.workspace.scripts)
        return JSONResponse({"folder": str(self.workspace.root), "templates": TEMPLATES,
                             "scripts": [{"name": e.name, "builtin": e.builtin} for e in entries]})

    async def schema(self, request: Request) -> Response:
        """The step forms and sound names, so the page builds its fields from the format itself."""
        forms = {name: {"doc": form.doc, "short": form.short,
                        "fields": {key: {"kind": f.kind, "doc": f.doc, "required": f.required, "min": f.minimum,
                                         "max": f.maximum, "choices": list(f.choices)}
                                   for key, f in form.fields.items()}}
                 for name, form in STEP_FORMS.items() if name not in ("ambient", "silence")}
        return JSONResponse({"steps": forms, "chimes": list(CHIMES), "beds": list(BEDS), "formats": list(FORMATS)})

    async def read(self, request: Request) -> Response:
        """One script's text, version and check."""
        name = request.query_params.get("name", "")
        builtin = request.query_params.get("builtin") == "1"
        text, version = await run_in_threadpool(self.workspace.read, name, builtin)
        checked = await run_in_threadpool(self._check, name, text, {})
        return JSONResponse({"name": name, "builtin": builtin, "text": text, "version": version,
                             "checked": checked})

    def _check(self, name: str, text: str, client: dict[str, Any]) -> dict[str, Any]:
        """The same loader as `practice check`, on the text as it stands."""
        return document.check(self.workspace.root, name, text, overrides_from(client)).as_json()

    async def check(self, request: Request) -> Response:
        """Validate unsaved text."""
        data = await _json(request)
        return JSONResponse(await run_in_threadpool(self._check, _text(data, "name"), _text(data, "text"),
                                                    data.get("client") or {}))

    async def apply(self, request: Request) -> Response:
        """Write the step list's edit into the text, round-trip."""
        data = await _json(request)
        steps = data.get("steps")
        if not isinstance(steps, list):
            raise StudioError("'steps' must be a list")
        text = await run_in_threadpool(document.apply_steps, _text(data, "text"), steps)
        checked = await run_in_threadpool(self._check, _text(data, "name"), text, data.get("client") or {})
        return JSONResponse({"text": text, "checked": checked})

    async def keep(self, request: Request) -> Response:
        """Write the "for one client" values into the text, when the therapist asks for it."""
        data = await _json(request)
        client = data.get("client") or {}
        overrides_from(client)  # the same checks as for listening and exporting
        text = await run_in_threadpool(document.apply_client, _text(data, "text"), client)
        checked = await run_in_threadpool(self._check, _text(data, "name"), text, {})
        return JSONResponse({"text": text, "checked": checked})

    async def save(self, request: Request) -> Response:
        """Save atomically, refusing a save based on an older version."""
        data = await _json(request)
        base = data.get("version")
        version = await run_in_threadpool(self.workspace.save, _text(data, "name"), _text(data, "text"),
                                          base if isinstance(base, str) else None)
        return JSONResponse({"version": version})

    async def new(self, request: Request) -> Response:
        """A new script from a template."""
        data = await _json(request)
        name = await run_in_threadpool(self.workspace.create, _text(data, "title").strip()[:80],
                                       _text(data, "template"))
        return JSONResponse({"name": name})

    async def copy(self, request: Request) -> Response:
        """A workspace copy of a built-in practice."""
        data = await _json(request)
        return JSONResponse({"name": await run_in_threadpool(self.workspace.copy_builtin, _text(data, "builtin"))})

    async def listen(self, request: Request) -> Response:
        """One step rendered now; the page plays the returned URL."""
        data = await _json(request)
        path = data.get("path")
        if not isinstance(path, list) or not path:
            raise StudioError("'path' must list the step's position")
        wav = await run_in_threadpool(self.renderer.step, _text(data, "name"), _text(data, "text"), path,
                                      overrides_from(data.get("client") or {}))
        key = secrets.token_urlsafe(9)
        self.files[key] = wav
        while len(self.files) > MAX_KEPT_SOUNDS:  # the oldest rendered step goes
            self.files.pop(next(iter(self.files))).unlink(missing_ok=True)
        return JSONResponse({"url": f"/api/files/{key}"})

    async def file(self, request: Request) -> Response:
        """A rendered step, by the key `listen` gave."""
        path = self.files.get(request.path_params["key"])
        if path is None or not path.is_file():
            raise NotFound("that sound is no longer here; play the step again")
        return FileResponse(path, media_type="audio/wav")

    async def export(self, request: Request) -> Response:
        """Start exporting the text as it stands; progress comes as server-sent events."""
        data = await _json(request)
        job = await run_in_threadpool(self.renderer.start_export, _text(data, "name"), _text(data, "text"),
                                      overrides_from(data.get("client") or {}), _text(data, "format"),
                                      ("vtt",) if data.get("transcript") is True else (), data.get("picture") is True)
        return JSONResponse(job.as_json())

    async def batch(self, request: Request) -> Response:
        """Start a zip of several saved scripts for one client."""
        data = await _json(request)
        names = data.get("names")
        job = await run_in_threadpool(self.renderer.start_batch, names if isinstance(names, list) else [],
                                      overrides_from(data.get("client") or {}), _text(data, "format"),
                                      data.get("reorient") is True)
        return JSONResponse(job.as_json())

    async def events(self, request: Request) -> Response:
        """A job's progress as server-sent events until it ends."""
        job = self.renderer.jobs.get(request.path_params["job"])
        if job is None:
            raise NotFound("no such export")

        async def stream() -> Any:
            while True:
                yield f"data: {json.dumps(job.as_json())}\n\n"
                if job.state != "running":
                    return
                await asyncio.sleep(0.25)

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"})

    async def download(self, request: Request) -> Response:
        """A finished export's file."""
        job = self.renderer.jobs.get(request.path_params["job"])
        if job is None or job.file is None or not job.file.is_file():
            raise NotFound("that export is not ready")
        return FileResponse(job.file, filename=job.file.name)

    async def picture(self, request: Request) -> Response:
        """A whole-session preview's pacing picture."""
        job = self.renderer.jobs.get(request.path_params["job"])
        if job is None or job.picture is None or not job.picture.is_file():
            raise NotFound("that picture is not ready")
        return FileResponse(job.picture, media_type="image/png")

    async def clip(self, request: Request) -> Response:
        """A recorded or dropped clip: size-limited, decoded through ffmpeg, kept in clips/."""
        label = request.query_params.get("label", "clip")
        if not valid_label(label):
            raise StudioError("a clip's label is letters, digits, spaces and dashes")
        data = await _body(request, MAX_UPLOAD_BYTES)
        return JSONResponse({"file": await run_in_threadpool(self.renderer.store_clip, data, label)})


def _handle(error: Exception) -> JSONResponse:
    """Any error as a message for the page."""
    if isinstance(error, ScriptError):
        return _error(422, f"{len(error.problems)} problem(s) in the script",
                      problems=[{"line": p.line, "column": p.column, "message": p.message, "text": str(p)}
                                for p in error.problems])
    if isinstance(error, StudioError):
        return _error(error.status, str(error))
    if isinstance(error, PlayerError):
        return _error(400, str(error))
    if isinstance(error, HTTPException):
        return _error(error.status_code, str(error.detail))
    return _error(500, f"The studio hit an internal error ({type(error).__name__}). Nothing was saved by it.")


def _guarded(handler: Handler) -> Handler:
    """A handler whose errors become messages."""

    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except Exception as error:
            return _handle(error)

    return run


def create_app(workspace: Workspace, renderer: Renderer, token: str) -> Starlette:
    """The studio's ASGI app for one workspace, served only to holders of `token`."""
    routes = Routes(workspace, renderer)
    table: list[tuple[str, Handler, list[str]]] = [
        ("/", routes.index, ["GET"]), ("/api/library", routes.library, ["GET"]),
        ("/api/schema", routes.schema, ["GET"]), ("/api/script", routes.read, ["GET"]),
        ("/api/script", routes.save, ["PUT"]), ("/api/check", routes.check, ["POST"]),
        ("/api/apply", routes.apply, ["POST"]), ("/api/keep", routes.keep, ["POST"]),
        ("/api/new", routes.new, ["POST"]),
        ("/api/copy", routes.copy, ["POST"]), ("/api/listen", routes.listen, ["POST"]),
        ("/api/files/{key}", routes.file, ["GET"]), ("/api/export", routes.export, ["POST"]),
        ("/api/batch", routes.batch, ["POST"]), ("/api/jobs/{job}/events", routes.events, ["GET"]),
        ("/api/jobs/{job}/file", routes.download, ["GET"]), ("/api/jobs/{job}/picture", routes.picture, ["GET"]),
        ("/api/clips", routes.clip, ["POST"]),
    ]
    app = Starlette(
        routes=[*(Route(path, _guarded(handler), methods=methods) for path, handler, methods in table),
                Mount("/static", StaticFiles(directory=STATIC), name="static")],
        middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=list(ALLOWED_HOSTS)),
                    Middleware(Guard, token=token)],
        exception_handlers={Exception: lambda request, error: _handle(error),
                            HTTPException: lambda request, error: _handle(error)},
    )
    return app
