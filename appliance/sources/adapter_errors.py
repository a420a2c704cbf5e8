"""What the real Pi adapters (picamera2, sounddevice) can report, as typed errors."""

from __future__ import annotations

from .errors import SourceError


class CameraNotFound(SourceError, LookupError):
    """libcamera sees no camera attached to this machine."""

    code = "camera_not_found"
    hint = "Check the camera ribbon cable (contacts facing the right way) and restart."


class MicrophoneNotFound(SourceError, LookupError):
    """No sound input device matches the configured name."""

    code = "microphone_not_found"
    hint = "Plug in the USB microphone, or set [audio] device to part of its name."


class HardwareLibraryMissing(SourceError, ImportError):
    """A library the Pi adapters need (picamera2, sounddevice) is not installed."""

    code = "hardware_library_missing"
    hint = "On the Pi, run the provisioning script again; on a laptop, use --simulate."


class CameraBusy(SourceError, RuntimeError):
    """The camera is there but could not be opened (another program holds it)."""

    code = "camera_busy"
    hint = "Stop the other program using the camera (is the appliance service running?)."


class MicrophoneBusy(SourceError, OSError):
    """PortAudio could not open or start the sound input."""

    code = "microphone_busy"
    hint = "Stop the other program using the microphone, or unplug and replug it."


class MicrophoneFormatUnsupported(SourceError, ValueError):
    """The sound input refuses every sample rate and channel count the appliance can use."""

    code = "microphone_format_unsupported"
    hint = (
        "Use a USB microphone that records at 48 or 44.1 kHz, or set [audio] device to a "
        "different input."
    )
