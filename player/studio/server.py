"""Serving the studio: a socket on 127.0.0.1 only, uvicorn, the browser, a clean stop on Ctrl-C."""

from __future__ import annotations

import secrets
import shutil
import socket
import tempfile
import webbrowser
from collections.abc import Callable
from pathlib import Path

from player.errors import RequestError
from player.studio.app import create_app
from player.studio.render import Renderer, SpeakerFor, Speakers
from player.studio.workspace import Workspace

HOST = "127.0.0.1"


def bind(port: int) -> socket.socket:
    """A listening socket on the loopback address only (port 0: a free one)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((HOST, port))
    except OSError as error:
        sock.close()
        raise RequestError(f"cannot listen on {HOST}:{port} ({error.strerror or error}); "
                           "choose another port, or none for a free one", subject="port") from None
    sock.listen(64)
    sock.set_inheritable(True)
    return sock


def serve(folder: Path, port: int = 0, open_browser: bool = True, ready: Callable[[str], None] = print,
          speaker_for: SpeakerFor | None = None) -> None:
    """Run the studio on `folder` until Ctrl-C; `ready` hears the URL (with its token) once."""
    import uvicorn  # imported here: the rest of the command line never pays for the server

    workspace = Workspace(folder)
    token = secrets.token_urlsafe(24)
    scratch = Path(tempfile.mkdtemp(prefix="practice-studio-"))
    sock = bind(port)
    url = f"http://{HOST}:{sock.getsockname()[1]}/?token={token}"
    speakers = Speakers()
    app = create_app(workspace, Renderer(workspace, scratch, speaker_for or speakers), token)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    ready(url)
    if open_browser:
        webbrowser.open(url)
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        speakers.close()
        shutil.rmtree(scratch, ignore_errors=True)
