"""`vig-appliance run`: the whole appliance, its background threads started from one place.

The parts are built by `assembly`; this module adds the front ends (button and LEDs, the
panel, the stick watcher) and the supervisor, starts every thread here, and stops them in
reverse order so that a SIGTERM saves the session being recorded before anything else goes.
"""

from __future__ import annotations

import logging
import subprocess
import threading
from dataclasses import dataclass, field
from typing import Any

from .assembly import Parts
from .controls.button import ButtonControl
from .controls.leds import LedDriver, StatusLights
from .controls.pins import make_pin_factory
from .controls.virtual_button import VirtualButton
from .export.stick import StickWatcher
from .panel.app import create_app
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
    threads: list[threading.Thread] = field(default_factory=list)
    _closers: list[Any] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.panel.port if self.panel else self.port}/"

    def start(self) -> None:
        """Build the front ends and start every background thread of the appliance."""
        parts, controller = self.parts, self.parts.controller
        pin_factory = make_pin_factory(parts.simulate, parts.config.gpio)
        lights = StatusLights(parts.config.gpio, pin_factory)
        leds = LedDriver(controller.events, lights, clock=parts.clock)
        button = ButtonControl(
            controller,
            parts.config.gpio,
            pin_factory,
            clock=parts.clock,
            shutdown=self._shutdown_action(),
            on_refused=leds.show_refusal,
        )
        self._closers += [button.close, lights.close]
        pin_file, secret_file = panel_files(parts.data_dir)
        app = create_app(
            parts.config,
            controller,
            pin_store=PinStore(pin_file),
            secret_path=secret_file,
            virtual_button=VirtualButton(button.pin) if parts.simulate else None,
            stop_event=self.stop_event,
            **self._pi_panel_parts(),
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
            app, self.host, self.port, self.stop_event, threads=parts.config.panel.threads
        )
        self.notifier.ready()

    def _spawn(self, name: str, target: Any) -> None:
        thread = threading.Thread(target=target, args=(self.stop_event,), name=name, daemon=True)
        thread.start()
        self.threads.append(thread)

    def _pi_panel_parts(self) -> dict[str, Any]:
        if self.parts.simulate:
            return {}
        from .panel.device_clock import SystemDeviceClock
        from .panel.health import VcgencmdHealth

        return {"device_clock": SystemDeviceClock(), "health": VcgencmdHealth()}

    def _shutdown_action(self):
        """Hold 5 s when idle: power off a Pi; in simulation, stop the appliance."""
        if self.parts.simulate:
            return self.stop_event.set

        def power_off() -> None:
            self.stop_event.set()
            subprocess.run(["systemctl", "poweroff"], check=False)

        return power_off

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
