"""`vig-appliance run`: the whole appliance, its background threads started from one place.

The parts, and what the front ends need of the Pi or of its simulated twins, are built by
`assembly`; this module adds the front ends (button and LEDs, the panel, the stick
watcher) and the supervisor, starts every thread here, and stops them in reverse order so
that a SIGTERM saves the session being recorded before anything else goes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from .assembly import Parts, build_service_parts
from .controls.button import ButtonControl
from .controls.leds import LedDriver, StatusLights
from .controls.virtual_button import VirtualButton
from .export.stick import StickWatcher
from .panel.app import create_app
from .panel.login_guard import LoginGuard, build_login_guard
from .panel.login_window import LoginWindow
from .panel.pin_store import PinStore, panel_files
from .panel.server import PanelServer, serve_panel
from .sd_notify import SystemdNotifier
from .supervisor import Supervisor

_logger = logging.getLogger(__name__)


@dataclass
class Runtime:
    parts: Parts
    host: str
    port: int
    notifier: SystemdNotifier
    stop_event: threading.Event = field(default_factory=threading.Event)
    panel: PanelServer | None = None
    login_guard: LoginGuard | None = None
    button: ButtonControl | None = None
    threads: list[threading.Thread] = field(default_factory=list)
    _closers: list[Callable[[], None]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.panel.port if self.panel else self.port}/"

    def start(self) -> None:
        """Build the front ends and start every background thread of the appliance."""
        parts, controller = self.parts, self.parts.controller
        service = build_service_parts(parts, self.stop_event)
        lights = StatusLights(parts.config.gpio, service.pin_factory)
        leds = LedDriver(controller.events, lights, clock=parts.clock)
        self.login_guard = build_login_guard(
            parts.data_dir, failures_per_minute=parts.config.panel.login_failures_per_minute
        )
        self.button = button = ButtonControl(
            controller,
            parts.config.gpio,
            service.pin_factory,
            clock=parts.clock,
            shutdown=service.shutdown,
            on_refused=leds.show_refusal,
            open_login_window=self._login_window_opener(self.login_guard.window),
        )
        self._closers += [button.close, lights.close]
        pin_file, secret_file = panel_files(parts.data_dir)
        app = create_app(
            parts.config,
            controller,
            pin_store=PinStore(pin_file),
            secret_path=secret_file,
            virtual_button=VirtualButton(button.pin) if service.virtual_button else None,
            stop_event=self.stop_event,
            login_guard=self.login_guard,
            **service.panel_parts,
        )
        watcher = StickWatcher(
            parts.stick_finder,
            on_inserted=controller.stick_inserted,
            on_removed=controller.stick_removed,
        )
        controller.warm_up()
        self.threads.append(leds.start(self.stop_event))
        supervisor = Supervisor(controller, self.notifier)
        self._spawn("supervisor", supervisor.run)
        watcher.start()
        self._closers.insert(0, watcher.stop)
        self.panel = serve_panel(
            app,
            self.host,
            self.port,
            self.stop_event,
            threads=parts.config.panel.threads,
            clock=controller.clock.now,
        )
        self.notifier.ready()

    def _spawn(self, name: str, target: Callable[[threading.Event], None]) -> None:
        thread = threading.Thread(target=target, args=(self.stop_event,), name=name, daemon=True)
        thread.start()
        self.threads.append(thread)

    def _login_window_opener(self, window: LoginWindow) -> Callable[[], None]:
        """The idle 3-to-5-s hold: a new phone may log in for 2 minutes (audited)."""

        def open_window() -> None:
            window.open()
            self.parts.vault.audit.append(
                "panel.login_window_opened", seconds=round(window.seconds_left())
            )

        return open_window

    def wait(self) -> None:
        self.stop_event.wait()

    def stop(self) -> None:
        """Save the session first, then stop the front ends and the sources."""
        self.notifier.stopping()
        self.parts.controller.shutdown()
        self.stop_event.set()
        for close in self._closers:
            close()
        for thread in self.threads:
            thread.join(timeout=5)
        if self.panel is not None:
            self.panel.join(timeout=5)
