"""The vault: age encryption and the encrypted session store on the SD card.

It knows nothing of cameras, MP4 or the panel: it stores opaque bytes, encrypted to the
enrolled recipients, and keeps the plaintext bookkeeping the device needs to run.
"""

from .errors import NoRecipient, NotEnoughSpace, UnknownSession, VaultError
from .filesystem import FileSystem, OsFileSystem
from .lossy_filesystem import LossyFileSystem, PowerCut
from .session import PartWriter, SessionWriter
from .session_info import SessionInfo, StoredFile
from .space import FreeSpace
from .store import Vault

__all__ = [
    "FileSystem",
    "FreeSpace",
    "LossyFileSystem",
    "NoRecipient",
    "NotEnoughSpace",
    "OsFileSystem",
    "PartWriter",
    "PowerCut",
    "SessionInfo",
    "SessionWriter",
    "StoredFile",
    "UnknownSession",
    "Vault",
    "VaultError",
]
