"""Screenshots of the main pages, as each role sees them, at desktop (1280 px) and phone (390 px)
width, into docs/screenshots/ (JPEG, the visible screen only, so each stays small).

Run from the repository root, with Playwright's Python package and a Chromium:

    PYTHONPATH=src python scripts/screenshots.py [--chromium /usr/bin/chromium] [--out docs/screenshots]

It loads the demo (`hustings demo`) into a temporary SQLite database, serves it on a free local
port, logs in as each demo user in turn and writes one image per page and width.
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from playwright.sync_api import Page, sync_playwright

from hustings.demo import load_demo
from hustings.services import Services
from hustings.settings import Settings
from hustings.storage.database import make_engine, make_sessionmaker, upgrade
from hustings.web.app import create_app
from hustings.web.templating import sender_path

PASSWORD = "demo-polling-day"  # noqa: S105 - the demo's own password
WIDTHS = {"desktop": (1280, 860), "phone": (390, 844)}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(data_dir: Path) -> tuple[str, Services, uvicorn.Server]:
    settings = Settings(
        environment="development", data_dir=data_dir, log_level="WARNING", assess_on_ingest=True
    )
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    services = Services(session=make_sessionmaker(engine)(), settings=settings)
    load_demo(services, password=PASSWORD)
    services.session.commit()
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, engine=engine), host="127.0.0.1", port=port, log_level="warning")
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", services, server


def _pages(services: Services) -> dict[str, list[tuple[str, str]]]:
    """Per demo user, (name, path) of the pages to take."""
    first = services.moderation.queue_page(_unreviewed(), reader_id="", limit=1)
    item = f"/console/items/{first[0].status.subject_id}" if first else "/console"
    pile_on = services.messages.by_author("x:demo-pileon-author-3", 1)
    sender = sender_path(pile_on[0].author.key) if pile_on else "/console"
    agent = services.users.by_name("agent")
    return {
        "moderator": [
            ("queue", "/console/queues/unreviewed"),
            ("item", item),
            ("sender", sender),
            ("notifications", "/notifications"),
        ],
        "admin": [("users", "/admin/users"), ("user", f"/admin/users/{agent.id if agent else ''}")],
        "senior": [("team", "/console/team")],
        "flagger": [("flag", "/flag")],
        "priya": [("start", "/"), ("inbox", "/inbox/t_demo_priya")],
        "agent": [("controls", "/targets/t_demo_priya")],
        "police": [("referrals", "/referrals")],
        "analyst": [("transparency", "/transparency")],
        "complaints": [("cases", "/complaints")],
    }


def _unreviewed():  # type: ignore[no-untyped-def]  # a script: the queue spec's type is the console's concern
    from hustings.moderation.queues import queue

    return queue("unreviewed")


def _log_in(page: Page, base: str, name: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("networkidle")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--format", choices=["jpeg", "png"], default="jpeg", help="JPEG keeps each under ~100 KB")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as data_dir:
        base, services, server = _serve(Path(data_dir))
        pages = _pages(services)
        services.session.close()
        written = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium)
            for user, shots in pages.items():
                for width_name, (width, height) in WIDTHS.items():
                    context = browser.new_context(viewport={"width": width, "height": height})
                    page = context.new_page()
                    _log_in(page, base, user)
                    for name, path in shots:
                        page.goto(base + path)
                        page.wait_for_load_state("networkidle")
                        suffix = "jpg" if args.format == "jpeg" else "png"
                        target = args.out / f"{user}-{name}-{width_name}.{suffix}"
                        quality = {"quality": 70} if args.format == "jpeg" else {}
                        page.screenshot(path=str(target), type=args.format, **quality)
                        written.append(target)
                    context.close()
            browser.close()
        server.should_exit = True
    for target in written:
        print(f"{target} {target.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
